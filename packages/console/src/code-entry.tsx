import { useState } from 'preact/hooks';
import { api, type Joined } from './api.js';

export function CodeEntry({ onJoined }: { onJoined: (joined: Joined) => void }) {
  const [code, setCode] = useState('');
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
      <button class="primary" type="submit">
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
