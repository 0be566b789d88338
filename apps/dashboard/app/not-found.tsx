import Link from "next/link";

export default function NotFound() {
  return (
    <main id="main" className="signin">
      <h1>Not found</h1>
      <p className="muted">There is no such project or store (it may have been deleted).</p>
      <p>
        <Link href="/projects">Back to the projects</Link>
      </p>
    </main>
  );
}
