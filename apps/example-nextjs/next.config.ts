import type { NextConfig } from "next";

const config: NextConfig = {
  // React's taint API (in React's experimental build, which this switches Next to): with it,
  // @coffer/nextjs marks COFFER_API_KEY and COFFER_SECRET so React refuses to send them to the
  // browser, even by mistake.
  experimental: { taint: true },
};

export default config;
