// A page that is not built yet; it is replaced by the real page in routes.tsx.
export function Placeholder({ title }: { title: string }) {
  return (
    <section>
      <h1>{title}</h1>
      <p className="empty">This page is coming.</p>
    </section>
  );
}
