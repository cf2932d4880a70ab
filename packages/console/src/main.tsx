/** The agent console: sign in, then sessions (join by code, rejoin a live one), visitors, and for admins site settings, agents, webhooks and API keys. */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, type Joined, type Me } from './api.js';
import { SignIn } from './sign-in.js';
import { CodeEntry } from './code-entry.js';
import { Visitors } from './visitors.js';
import { SessionView } from './session-view.js';
import { Sessions } from './sessions.js';
import { SiteSettingsScreen } from './site-settings.js';
import { Agents } from './agents.js';
import { Webhooks } from './webhooks.js';
import { Keys } from './keys.js';
import { Nav, useScreen } from './nav.js';
import { prepareViewer } from '@tandem/viewer';

function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [session, setSession] = useState<Joined | null>(null);
  const screen = useScreen(me?.role === 'admin');

  useEffect(() => {
    api.me().then(setMe, () => setMe(null));
  }, []);

  // Signed in, the agent will open sessions: the viewer readies its rebuild meanwhile, in idle moments, so a large
  // page is built sooner when it comes (see mirror's warm.ts).
  useEffect(() => {
    if (me) void prepareViewer();
  }, [me]);

  // A colleague's link (#/join/123456): read once, when the console opens, and only filled in the code box.
  // Joining takes the agent's click: a link (or a page that keeps changing this tab's address) never
  // moves an agent into a session, nor out of the one it is in.
  const [invited] = useState(() => {
    const code = /^#\/join\/(\d{6})$/.exec(location.hash)?.[1] ?? '';
    if (code) history.replaceState(null, '', '#/sessions');
    return code;
  });

  if (me === undefined) return null;
  if (me === null)
    return (
      <main>
        <SignIn onSignedIn={setMe} />
      </main>
    );
  return (
    <div class="shell">
      <header class="topbar">
        <span class="brand">Tandem</span>
        {/* In a session the bar's own buttons are the way out: leaving by the nav would drop the viewer unannounced. */}
        {!session && <Nav current={screen} admin={me.role === 'admin'} />}
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
        <main class="session-main">
          <SessionView joined={session} admin={me.role === 'admin'} onClose={() => setSession(null)} />
        </main>
      ) : (
        <main class="home">
          {screen === 'sessions' && (
            <>
              <CodeEntry onJoined={setSession} invited={invited} />
              <Sessions onJoined={setSession} />
            </>
          )}
          {screen === 'visitors' && <Visitors onJoined={setSession} />}
          {screen === 'settings' && <SiteSettingsScreen />}
          {screen === 'agents' && <Agents me={me} />}
          {screen === 'webhooks' && <Webhooks />}
          {screen === 'keys' && <Keys />}
        </main>
      )}
    </div>
  );
}

render(<App />, document.getElementById('app')!);
