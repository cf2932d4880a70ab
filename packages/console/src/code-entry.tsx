import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type Joined } from './api.js';

/** `invited`: a code from a colleague's link (#/join/<code>), filled in for the agent to join with a click, never joined unasked. */
export function CodeEntry({ onJoined, invited = '' }: { onJoined: (joined: Joined) => void; invited?: string }) {
  const [code, setCode] = useState(invited);
  const join = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!invited) return;
    setCode(invited);
    join.current?.focus();
  }, [invited]);
  const [error, setError] = useState('');

  async function submit(e: Event) {
    e.preventDefault();
    setError('');
    try {
      onJoined(await api.join(code));
    } catch (err) {
      setError((err as Error).message);
    }
  }

  return (
    <form class="card" onSubmit={(e) => void submit(e)} aria-label="Join a session">
      <h1>Join a visitor</h1>
      <label for="code">The code the visitor reads to you</label>
      <input
        id="code"
        class="code"
        inputMode="numeric"
        autoComplete="off"
        placeholder="123 456"
        value={code}
        onInput={(e) => setCode(e.currentTarget.value)}
        required
      />
      {invited && code === invited && <p class="muted">A colleague invited you to this session: join when you are ready.</p>}
      <button class="primary" type="submit" ref={join} data-join>
        Join
      </button>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
