/** The window's root. Pages (Overview, Connections, Traffic, Logs, Profiles) arrive with the UI issue. */
export function App() {
  return (
    <main>
      <h1>Porthole</h1>
      <p>Expose a service behind NAT through your V2Ray server.</p>
    </main>
  );
}
