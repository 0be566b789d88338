import type { NextConfig } from "next";

// A session key too short to use would fail every page at run time; refuse it at start instead.
const secret = process.env.COFFER_DASHBOARD_SECRET;
if (secret && secret.length < 32) {
  throw new Error(
    "COFFER_DASHBOARD_SECRET must be 32 characters or more: `openssl rand -base64 32` makes one.",
  );
}

const config: NextConfig = {
  // No "X-Powered-By: Next.js" on the admin pages.
  poweredByHeader: false,
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Frame-Options", value: "DENY" },
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "same-origin" },
        ],
      },
    ];
  },
};

export default config;
