/** The agent console: sign in, enter a visitor's code, watch the session. */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, type Joined, type Me } from './api.js';
import { SignIn } from './sign-in.js';
import { CodeEntry } from './code-entry.js';
import { Visitors } from './visitors.js';
import { SessionView } from './session-view.js';

function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [session, setSession] = useState<Joined | null>(null);

  useEffect(() => {
    api.me().then(setMe, () => setMe(null));
  }, []);

  if (me === undefined) return null;
  if (me === null) return <SignIn onSignedIn={setMe} />;
  return (
    <div class="shell">
      <header class="topbar">
        <span class="brand">Tandem</span>
        <span class="spacer" />
        <span>{me.name}</span>
        <button
          type="button"
          onClick={() => {
            // Signed out on this screen whatever the server said: the cookie is revoked when it can be.
            void api.logout().finally(() => {
              setSession(null);
              setMe(null);
            });
          }}
        >
          Sign out
        </button>
      </header>
      {session ? (
        <SessionView joined={session} onClose={() => setSession(null)} />
      ) : (
        <main class="home">
          <CodeEntry onJoined={setSession} />
          <Visitors onJoined={setSession} />
        </main>
      )}
    </div>
  );
}

render(<App />, document.getElementById('app')!);
