/** The registry contract on the embedded default; Redis's registry runs the same suite. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openSqliteStore } from '@tandem/server';
import { MemoryRegistry } from '../../packages/server/src/live/memory-registry.js';
import { presentVisitor, registryContract } from './registry-contract.js';

registryContract('in memory', async () => new MemoryRegistry());

describe('the embedded registry’s journal', () => {
  it('brings live sessions back after a restart on the same store: code, mode, resume tokens; not the ended ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tandem-journal-'));
    try {
      const store = await openSqliteStore(dir);
      const before = new MemoryRegistry(store);
      const { session, resumeToken } = await before.createSession({
        siteKey: 'demo',
        identity: { name: 'Alex' },
        mode: 'view',
        shortId: 'K7QM2XRP',
        graceMs: 60_000,
      });
      await before.setMode(session.id, 'control');
      await before.setMode(session.id, 'navigate');
      await before.setVisitorName(session.id, 'Alex Traveler');
      const handoff = (await before.issueHandoff(session.id, 'https://a.example'))!;
      const redeemed = await before.redeemHandoff(handoff, 'https://a.example', false);
      if (!redeemed || redeemed === 'consent') throw new Error('not redeemed');
      const seqBefore = (await before.nextSeq(session.id))!;
      const { session: ended } = await before.createSession({ siteKey: 'demo', identity: {}, mode: 'view', graceMs: 60_000 });
      await before.endSession(ended.id, 'visitor');
      await before.visitorConnected(session.id);
      await before.agentConnected(session.id, { id: 'a1', name: 'Ada' });
      await store.close();

      // The process died; a new one opens the same store.
      const reopened = await openSqliteStore(dir);
      const after = new MemoryRegistry(reopened);
      const restored = await after.restore(5_000);
      expect(restored.map((s) => s.id)).toEqual([session.id]);
      const back = (await after.findByCode(session.code))!;
      // Nobody is connected until they come back; it ends unless the visitor does within the grace.
      expect(back).toMatchObject({
        id: session.id,
        mode: 'navigate',
        maxMode: 'control',
        visitorName: 'Alex Traveler',
        // A watch URL asked for this visitor after the restart still finds the session.
        shortId: 'K7QM2XRP',
        visitorSockets: 0,
        agents: [],
        started: true,
      });
      expect(back.expiresAt).toBeGreaterThan(Date.now());
      expect(back.expiresAt).toBeLessThanOrEqual(Date.now() + 5_000);
      // Both origins' resume tokens still work; the stream goes on past every number given before.
      expect((await after.checkResume(session.id, resumeToken))?.id).toBe(session.id);
      expect((await after.checkResume(session.id, redeemed.resumeToken))?.id).toBe(session.id);
      expect(await after.nextSeq(session.id)).toBeGreaterThan(seqBefore);
      expect(await after.getSession(ended.id)).toBeNull();
      await after.endSession(session.id, 'timeout');
      expect(await reopened.loadLive()).toEqual([]);
      await reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the embedded registry’s spent tickets', () => {
  it('a flood of socket tickets never pushes a spent watch link out of its book', async () => {
    const r = new MemoryRegistry();
    expect(await r.spendTicket('watch:link-1', 600_000)).toBe(true);
    for (let i = 0; i < 200_500; i++) await r.spendTicket(`ticket-${i}`, 60_000);
    expect(await r.spendTicket('watch:link-1', 600_000)).toBe(false);
    // The socket tickets' book stays bounded: the oldest went, the newest are still spent.
    expect(await r.spendTicket('ticket-0', 60_000)).toBe(true);
    expect(await r.spendTicket('ticket-200499', 60_000)).toBe(false);
    await r.close();
  });
});

describe('the embedded registry’s invites', () => {
  afterEach(() => vi.useRealTimers());

  it('keeps each invite by its own time, whatever the time of the invites made after it', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 1_000_000 });
    const r = new MemoryRegistry();
    const present = presentVisitor();
    const long = await r.createInvite(present, 'Ada', 10 * 60_000); // answered within 10 minutes, kept 10 more
    // 15 minutes on: a quick invite (kept a minute past its expiry) prunes the book as it is made.
    vi.setSystemTime(1_000_000 + 15 * 60_000);
    const quick = await r.createInvite(present, 'Ada', 50);
    expect((await r.getInvite(long.id))?.state).toBe('expired');
    // 21 minutes on, the long one's time is over too, and the next invite made drops it.
    vi.setSystemTime(1_000_000 + 21 * 60_000);
    await r.createInvite(present, 'Ada', 60_000);
    expect(await r.getInvite(long.id)).toBeNull();
    expect(await r.inviteByToken(long.token)).toBeNull();
    expect(await r.getInvite(quick.id)).toBeNull();
    await r.close();
  });
});
