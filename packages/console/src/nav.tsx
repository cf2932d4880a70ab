/**
 * The console's screens, one per address fragment (#/sessions, #/visitors,
 * #/settings, #/agents, #/webhooks, #/keys): plain links, so the keyboard, the back button and a reload
 * all keep the agent where they were.
 */
import { useEffect, useState } from 'preact/hooks';

export type Screen = 'sessions' | 'visitors' | 'settings' | 'agents' | 'webhooks' | 'keys';

const SCREENS: { screen: Screen; label: string; adminOnly?: boolean }[] = [
  { screen: 'sessions', label: 'Sessions' },
  { screen: 'visitors', label: 'Visitors' },
  { screen: 'settings', label: 'Site settings', adminOnly: true },
  { screen: 'agents', label: 'Agents', adminOnly: true },
  { screen: 'webhooks', label: 'Webhooks', adminOnly: true },
  { screen: 'keys', label: 'API keys', adminOnly: true },
];

function fromHash(admin: boolean): Screen {
  const name = location.hash.replace(/^#\/?/, '');
  const found = SCREENS.find((s) => s.screen === name && (admin || !s.adminOnly));
  return found?.screen ?? 'sessions';
}

/** The screen the address names; one an agent may not open (settings, for non-admins) falls back to sessions. */
export function useScreen(admin: boolean): Screen {
  const [screen, setScreen] = useState<Screen>(() => fromHash(admin));
  useEffect(() => {
    const update = () => setScreen(fromHash(admin));
    update();
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, [admin]);
  return screen;
}

export function Nav({ current, admin }: { current: Screen; admin: boolean }) {
  return (
    <nav class="nav" aria-label="Console">
      <ul>
        {SCREENS.filter((s) => admin || !s.adminOnly).map((s) => (
          <li key={s.screen}>
            <a href={`#/${s.screen}`} data-screen={s.screen} aria-current={current === s.screen ? 'page' : undefined}>
              {s.label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
