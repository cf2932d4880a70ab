/**
 * The contract every Registry implementation keeps: the in-memory one here,
 * Redis's next. Call `registryContract(name, make)` from a test file; `make`
 * returns a fresh, empty registry. Nothing here depends on how it is stored.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_COLORS } from '@tandem/protocol';
import type { PresentVisitor, Registry } from '../../packages/server/src/live/registry.js';

const agentA = { id: 'agent-a', name: 'Ada' };
const agentB = { id: 'agent-b', name: 'Bo' };
const later = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A visitor present on the demo site, as the registry's presence keeps it. */
export const presentVisitor = (over: Partial<PresentVisitor> = {}): PresentVisitor => ({
  visitorId: 'visitor-1',
  shortId: 'K7QM2XRP',
  siteKey: 'demo',
  identity: { name: 'Alex Traveler', email: 'alex@example.com', uniqueId: 'cust-42' },
  verified: false,
  url: 'https://shop.example/cart',
  title: 'Cart',
  platform: { browser: 'Chrome 120', os: 'Linux', viewport: '1280x800', language: 'en', timeZone: 'UTC' },
  since: new Date().toISOString(),
  pageId: 'page-1',
  ...over,
});

export function registryContract(name: string, make: () => Promise<Registry>): void {
  describe(`Registry contract: ${name}`, () => {
    let open: Registry[] = [];
    const fresh = async () => {
      const r = await make();
      open.push(r);
      return r;
    };
    const start = (r: Registry, graceMs = 60_000) => r.createSession({ siteKey: 'demo', identity: { name: 'Visitor' }, mode: 'view', graceMs });

    afterEach(async () => {
      await Promise.all(open.map((r) => r.close()));
      open = [];
    });

    it('creates sessions with unique six-digit codes, found by id and by code (digits only count)', async () => {
      const r = await fresh();
      const made = await Promise.all(Array.from({ length: 50 }, () => start(r)));
      const codes = new Set(made.map((m) => m.session.code));
      expect(codes.size).toBe(50);
      for (const { session } of made) {
        expect(session.code).toMatch(/^[1-9]\d{5}$/);
        expect(session).toMatchObject({
          siteKey: 'demo',
          visitorName: 'Visitor',
          mode: 'view',
          maxMode: 'view',
          visitorSockets: 0,
          started: false,
          agents: [],
        });
      }
      const { session } = made[0]!;
      expect(await r.getSession(session.id)).toEqual(session);
      expect(await r.findByCode(`${session.code.slice(0, 3)} ${session.code.slice(3)}`)).toEqual(session);
      expect(await r.findByCode('000000')).toBeNull();
      expect(await r.getSession('no-such-id')).toBeNull();
      expect((await r.listSessions()).map((s) => s.id).sort()).toEqual(made.map((m) => m.session.id).sort());
    });

    it('hands out copies: changing what it returned changes nothing in it', async () => {
      const r = await fresh();
      const { session } = await start(r);
      const got = (await r.getSession(session.id))!;
      got.mode = 'control';
      got.agents.push({ id: 'x', name: 'x', color: '#000000', sockets: 1 });
      expect(await r.getSession(session.id)).toMatchObject({ mode: 'view', agents: [] });
    });

    it('knows the visitor by a resume token, and nobody without one', async () => {
      const r = await fresh();
      const { session, resumeToken } = await start(r);
      expect((await r.checkResume(session.id, resumeToken))?.id).toBe(session.id);
      expect(await r.checkResume(session.id, resumeToken + 'x')).toBeNull();
      expect(await r.checkResume('other', resumeToken)).toBeNull();
    });

    it('spends a hand-off token once, from the origin that asked, or after the visitor agreed again', async () => {
      const r = await fresh();
      const { session } = await start(r);
      const token = (await r.issueHandoff(session.id, 'https://a.example'))!;
      expect(await r.redeemHandoff(token, 'https://elsewhere.example', false)).toBe('consent');
      const redeemed = await r.redeemHandoff(token, 'https://a.example', false);
      expect(redeemed).toMatchObject({ session: { id: session.id } });
      if (!redeemed || redeemed === 'consent') throw new Error('not redeemed');
      // The new origin's own resume token works; the hand-off token is spent.
      expect((await r.checkResume(session.id, redeemed.resumeToken))?.id).toBe(session.id);
      expect(await r.redeemHandoff(token, 'https://a.example', false)).toBeNull();
      const asked = (await r.issueHandoff(session.id, 'https://a.example'))!;
      expect(await r.redeemHandoff(asked, null, true)).toMatchObject({ session: { id: session.id } });
      expect(await r.issueHandoff('no-such-id', 'https://a.example')).toBeNull();
    });

    it('keeps only a few hand-off tokens pending per session, dropping the oldest', async () => {
      const r = await fresh();
      const { session } = await start(r);
      const tokens = [];
      for (let i = 0; i < 6; i++) tokens.push((await r.issueHandoff(session.id, 'https://a.example'))!);
      expect(await r.redeemHandoff(tokens[0]!, 'https://a.example', false)).toBeNull();
      expect(await r.redeemHandoff(tokens[5]!, 'https://a.example', false)).not.toBeNull();
    });

    it('sets the mode, says what it was and whether it rose above the most allowed', async () => {
      const r = await fresh();
      const { session } = await start(r);
      expect(await r.setMode(session.id, 'view')).toBeNull();
      expect(await r.setMode(session.id, 'control')).toEqual({ previous: 'view', raised: true });
      expect(await r.setMode(session.id, 'navigate')).toEqual({ previous: 'control', raised: false });
      expect(await r.getSession(session.id)).toMatchObject({ mode: 'navigate', maxMode: 'control' });
      expect(await r.setVisitorName(session.id, 'Alex')).toBe(true);
      expect((await r.getSession(session.id))?.visitorName).toBe('Alex');
      expect(await r.setMode('no-such-id', 'control')).toBeNull();
    });

    it('counts visitor sockets: the first ever starts the session, the last one starts the grace', async () => {
      const r = await fresh();
      const { session } = await start(r, 60_000);
      expect((await r.getSession(session.id))!.expiresAt).toBeGreaterThan(Date.now());
      expect(await r.visitorConnected(session.id)).toEqual({ first: true, started: true });
      expect((await r.getSession(session.id))!.expiresAt).toBeNull();
      expect(await r.visitorConnected(session.id)).toEqual({ first: false, started: false });
      expect(await r.visitorDisconnected(session.id, 60_000)).toEqual({ last: false });
      expect((await r.getSession(session.id))!.expiresAt).toBeNull();
      expect(await r.visitorDisconnected(session.id, 60_000)).toEqual({ last: true });
      expect((await r.getSession(session.id))!.expiresAt).toBeGreaterThan(Date.now());
      expect(await r.visitorConnected(session.id)).toEqual({ first: true, started: false });
      expect(await r.visitorConnected('no-such-id')).toBeNull();
    });

    it('hands each expired session to one caller, and only once its time ran out', async () => {
      const r = await fresh();
      // The clock is the caller's (claimExpired takes `now`), so the test names its instants instead of sleeping:
      // a busy machine that takes longer than the short grace between two calls cannot make it fail.
      const before = Date.now();
      const { session: quick } = await start(r, 1_000);
      const { session: slow } = await start(r, 60_000);
      expect(await r.claimExpired(before)).toEqual([]);
      expect(await r.claimExpired(before + 999)).toEqual([]);
      const past = Date.now() + 1_001;
      const claims = await Promise.all([r.claimExpired(past), r.claimExpired(past), r.claimExpired(past)]);
      expect(claims.flat()).toEqual([quick.id]);
      expect(await r.claimExpired(past)).toEqual([]);
      // A visitor who connects in time is not expired.
      await r.visitorConnected(slow.id);
      expect(await r.claimExpired(Date.now() + 120_000)).toEqual([]);
    });

    it('counts each agent’s sockets: joined on the first, left on the last', async () => {
      const r = await fresh();
      const { session } = await start(r);
      const [colorA, colorB] = AGENT_COLORS;
      expect(await r.agentConnected(session.id, agentA)).toEqual({ first: true, color: colorA });
      expect(await r.agentConnected(session.id, agentA)).toEqual({ first: false, color: colorA });
      expect(await r.agentConnected(session.id, agentB)).toEqual({ first: true, color: colorB });
      expect((await r.getSession(session.id))!.agents).toEqual([
        { ...agentA, color: colorA, sockets: 2 },
        { ...agentB, color: colorB, sockets: 1 },
      ]);
      expect(await r.agentDisconnected(session.id, agentA.id)).toEqual({ last: false, agent: agentA });
      // A held the controls (the first to join): they pass to B.
      expect(await r.agentDisconnected(session.id, agentA.id)).toEqual({ last: true, agent: agentA, holder: agentB.id });
      expect(await r.agentDisconnected(session.id, agentA.id)).toBeNull();
      expect((await r.getSession(session.id))!.agents).toEqual([{ ...agentB, color: colorB, sockets: 1 }]);
      // Colours are the session's: one who comes back keeps theirs, and the next newcomer takes the next one.
      expect(await r.agentConnected(session.id, agentA)).toEqual({ first: true, color: colorA });
      expect(await r.agentConnected(session.id, { id: 'c', name: 'Cy' })).toEqual({ first: true, color: AGENT_COLORS[2] });
    });

    it('gives the controls to the first agent, hands them over only from their holder, and passes them on when the holder leaves', async () => {
      const r = await fresh();
      const { session } = await start(r);
      expect((await r.getSession(session.id))!.controlBy).toBeNull();
      await r.agentConnected(session.id, agentA);
      await r.agentConnected(session.id, agentB);
      const cy = { id: 'c', name: 'Cy' };
      await r.agentConnected(session.id, cy);
      expect((await r.getSession(session.id))!.controlBy).toBe(agentA.id);
      // Only the holder hands over, and only to an agent in the session.
      expect(await r.handOver(session.id, agentB.id, agentB.id)).toBe(false);
      expect(await r.handOver(session.id, agentA.id, 'nobody-here')).toBe(false);
      expect(await r.handOver(session.id, agentA.id, agentB.id)).toBe(true);
      expect((await r.getSession(session.id))!.controlBy).toBe(agentB.id);
      expect(await r.handOver(session.id, agentA.id, cy.id)).toBe(false);
      // A non-holder leaving changes nothing; the holder leaving passes them to the longest there.
      expect(await r.agentDisconnected(session.id, agentA.id)).toEqual({ last: true, agent: agentA });
      expect(await r.agentDisconnected(session.id, agentB.id)).toEqual({ last: true, agent: agentB, holder: cy.id });
      expect(await r.agentDisconnected(session.id, cy.id)).toEqual({ last: true, agent: cy, holder: null });
      expect((await r.getSession(session.id))!.controlBy).toBeNull();
      // Nobody holds them: the next to join takes them, and anyone may hand them over meanwhile.
      await r.agentConnected(session.id, agentB);
      expect((await r.getSession(session.id))!.controlBy).toBe(agentB.id);
      expect(await r.handOver('no-such-session', agentB.id, agentB.id)).toBe(false);
    });

    it('numbers a session’s events from 1, in order; the end takes the last number, and none follows it', async () => {
      const r = await fresh();
      const { session } = await start(r);
      const seqs = await Promise.all(Array.from({ length: 20 }, () => r.nextSeq(session.id)));
      expect([...(seqs as number[])].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect((await r.endSession(session.id, 'visitor'))?.finalSeq).toBe(21);
      expect(await r.nextSeq(session.id)).toBeNull();
      expect(await r.nextSeq(session.id)).toBeNull();
    });

    it('reads a session together with the number of its latest event (what a follower of the stream joins at)', async () => {
      const r = await fresh();
      const { session } = await start(r);
      expect(await r.sessionWithSeq(session.id)).toEqual({ session, seq: 0 });
      await r.nextSeq(session.id);
      await r.nextSeq(session.id);
      await r.setMode(session.id, 'control');
      const read = (await r.sessionWithSeq(session.id))!;
      expect(read.seq).toBe(2);
      expect(read.session).toEqual(await r.getSession(session.id));
      expect(read.session.mode).toBe('control');
      // The next number given is the one after.
      expect(await r.nextSeq(session.id)).toBe(3);
      expect((await r.sessionWithSeq(session.id))!.seq).toBe(3);
      // A copy, like every other answer.
      read.session.agents.push({ id: 'x', name: 'x', color: '#000000', sockets: 1 });
      expect((await r.sessionWithSeq(session.id))!.session.agents).toEqual([]);
      await r.endSession(session.id, 'api');
      expect(await r.sessionWithSeq(session.id)).toBeNull();
      expect(await r.sessionWithSeq('no-such-id')).toBeNull();
    });

    it('lowers the mode only when asked to lower: a lowering never turns into a raise', async () => {
      const r = await fresh();
      const { session } = await start(r);
      expect(await r.setMode(session.id, 'navigate', true)).toBeNull();
      expect((await r.getSession(session.id))!.mode).toBe('view');
      await r.setMode(session.id, 'control');
      expect(await r.setMode(session.id, 'control', true)).toBeNull();
      expect(await r.setMode(session.id, 'navigate', true)).toEqual({ previous: 'control', raised: false });
      expect(await r.setMode(session.id, 'control', true)).toBeNull();
      expect(await r.setMode(session.id, 'view', true)).toEqual({ previous: 'navigate', raised: false });
      expect(await r.getSession(session.id)).toMatchObject({ mode: 'view', maxMode: 'control' });
      expect(await r.setMode('no-such-id', 'view', true)).toBeNull();
    });

    it('knows since when the visitor shares without a break', async () => {
      const r = await fresh();
      const { session } = await start(r);
      expect(session.activeSince).toBeNull();
      const before = new Date().toISOString();
      await r.visitorConnected(session.id);
      const since = (await r.getSession(session.id))!.activeSince!;
      expect(since >= before && since <= new Date().toISOString()).toBe(true);
      // A second socket (the next page while this one goes) changes nothing; the last one going clears it.
      await later(5);
      await r.visitorConnected(session.id);
      await r.visitorDisconnected(session.id, 60_000);
      expect((await r.getSession(session.id))!.activeSince).toBe(since);
      await r.visitorDisconnected(session.id, 60_000);
      expect((await r.getSession(session.id))!.activeSince).toBeNull();
      await later(5);
      await r.visitorConnected(session.id);
      expect((await r.getSession(session.id))!.activeSince! > since).toBe(true);
    });

    it('ends a session for exactly one caller, and frees its code', async () => {
      const r = await fresh();
      const { session } = await start(r);
      const ends = await Promise.all([r.endSession(session.id, 'visitor'), r.endSession(session.id, 'agent'), r.endSession(session.id, 'api')]);
      expect(ends.filter((e) => e !== null)).toHaveLength(1);
      expect(ends.find((e) => e !== null)?.id).toBe(session.id);
      expect(await r.getSession(session.id)).toBeNull();
      expect(await r.findByCode(session.code)).toBeNull();
      expect(await r.listSessions()).toEqual([]);
    });

    const bounds = { total: 100, perSite: 100 };

    it('keeps the visitor’s platform, saying whether it changed; handed out as a copy', async () => {
      const r = await fresh();
      const { session } = await start(r);
      const platform = { browser: 'Firefox 130', os: 'Linux', viewport: '1280x800', language: 'en', timeZone: 'UTC' };
      expect((await r.getSession(session.id))!.visitorPlatform).toBeUndefined();
      expect(await r.setVisitorPlatform(session.id, platform)).toBe(true);
      expect(await r.setVisitorPlatform(session.id, { ...platform })).toBe(false);
      expect(await r.setVisitorPlatform(session.id, { ...platform, viewport: '390x844' })).toBe(true);
      const got = (await r.getSession(session.id))!;
      expect(got.visitorPlatform).toEqual({ ...platform, viewport: '390x844' });
      got.visitorPlatform!.os = 'changed';
      expect((await r.getSession(session.id))!.visitorPlatform!.os).toBe('Linux');
      expect(await r.setVisitorPlatform('no-such-id', platform)).toBe(false);
    });

    it('keeps each live session’s latest selector report, lists a site’s most recent first, and forgets an ended session’s', async () => {
      const r = await fresh();
      const [a, b] = [(await start(r)).session, (await start(r)).session];
      const other = (await r.createSession({ siteKey: 'shop', identity: {}, mode: 'view', graceMs: 60_000 })).session;
      const report = (sessionId: string, at: string, count: number) => ({
        sessionId,
        url: 'https://shop.example/cart',
        at,
        selectors: [{ selector: '.card', count }],
        blockSelectors: [],
      });
      expect(await r.setSelectorReport(report(a.id, '2026-01-01T10:00:00.000Z', 1))).toBe(true);
      expect(await r.setSelectorReport(report(b.id, '2026-01-01T10:00:05.000Z', 2))).toBe(true);
      expect(await r.setSelectorReport(report(a.id, '2026-01-01T10:00:09.000Z', 3))).toBe(true);
      expect(await r.setSelectorReport(report(other.id, '2026-01-01T10:00:10.000Z', 4))).toBe(true);
      expect(await r.setSelectorReport(report('no-such-id', '2026-01-01T10:00:10.000Z', 5))).toBe(false);
      const listed = await r.selectorReports('demo', 5);
      expect(listed.map((x) => [x.sessionId, x.selectors[0]!.count])).toEqual([
        [a.id, 3],
        [b.id, 2],
      ]);
      expect(await r.selectorReports('demo', 1)).toHaveLength(1);
      listed[0]!.selectors[0]!.count = 99;
      expect((await r.selectorReports('demo', 1))[0]!.selectors[0]!.count).toBe(3);
      await r.endSession(a.id, 'visitor');
      expect((await r.selectorReports('demo', 5)).map((x) => x.sessionId)).toEqual([b.id]);
    });

    it('lists present visitors of a site, latest page per visitor, searchable, and forgets a page that went', async () => {
      const r = await fresh();
      expect(await r.presenceHere(presentVisitor(), bounds)).toBe(true);
      expect(await r.presenceHere(presentVisitor({ visitorId: 'visitor-2', identity: { name: 'Sam' }, pageId: 'page-2' }), bounds)).toBe(true);
      expect(await r.presenceHere(presentVisitor({ visitorId: 'visitor-3', siteKey: 'other', pageId: 'page-3' }), bounds)).toBe(true);
      expect((await r.presenceList('demo', '', 10)).map((v) => v.visitorId).sort()).toEqual(['visitor-1', 'visitor-2']);
      expect((await r.presenceList('demo', 'ALEX@', 10)).map((v) => v.visitorId)).toEqual(['visitor-1']);
      expect((await r.presenceList('demo', '', 1)).length).toBe(1);
      // The visitor opened another page: listed once, on it; the old page going changes nothing.
      await r.presenceHere(presentVisitor({ url: 'https://shop.example/pay', pageId: 'page-1b' }), bounds);
      await r.presenceGone('visitor-1', 'page-1');
      expect((await r.presenceFind('demo', { visitorId: 'visitor-1' }))?.url).toBe('https://shop.example/pay');
      expect((await r.presenceFind('demo', { uniqueId: 'cust-42' }))?.pageId).toBe('page-1b');
      expect(await r.presenceFind('other', { visitorId: 'visitor-1' })).toBeNull();
      await r.presenceGone('visitor-1', 'page-1b');
      expect(await r.presenceFind('demo', { visitorId: 'visitor-1' })).toBeNull();
    });

    it('keeps a visitor listed on an older tab when the newer one closes; finds them by short id', async () => {
      const r = await fresh();
      await r.presenceHere(presentVisitor({ pageId: 'tab-1', url: 'https://shop.example/a' }), bounds);
      await r.presenceHere(presentVisitor({ pageId: 'tab-2', url: 'https://shop.example/b' }), bounds);
      expect((await r.presenceFind(null, { shortId: 'K7QM2XRP' }))?.pageId).toBe('tab-2');
      await r.presenceGone('visitor-1', 'tab-2');
      expect((await r.presenceFind('demo', { shortId: 'K7QM2XRP' }))?.url).toBe('https://shop.example/a');
      expect(await r.presenceFind('other', { shortId: 'K7QM2XRP' })).toBeNull();
      expect((await r.presenceList('demo', '', 10)).length).toBe(1);
      await r.presenceGone('visitor-1', 'tab-1');
      expect(await r.presenceFind(null, { shortId: 'K7QM2XRP' })).toBeNull();
      expect(await r.presenceList('demo', '', 10)).toEqual([]);
    });

    it('bounds presence in all and per site', async () => {
      const r = await fresh();
      for (let i = 0; i < 3; i++)
        expect(await r.presenceHere(presentVisitor({ visitorId: `v${i}`, pageId: `p${i}` }), { total: 10, perSite: 3 })).toBe(true);
      expect(await r.presenceHere(presentVisitor({ visitorId: 'v9', pageId: 'p9' }), { total: 10, perSite: 3 })).toBe(false);
      // A visitor already listed may move to another page.
      expect(await r.presenceHere(presentVisitor({ visitorId: 'v0', pageId: 'p0b' }), { total: 10, perSite: 3 })).toBe(true);
      expect(await r.presenceHere(presentVisitor({ visitorId: 'w', siteKey: 'other', pageId: 'pw' }), { total: 3, perSite: 3 })).toBe(false);
    });

    it('keeps invites: pending until the invited page answers once; found by id and by the page’s token; an expired one a minute at least', async () => {
      const r = await fresh();
      const invite = await r.createInvite(presentVisitor(), 'Ada', 60_000);
      expect(invite).toMatchObject({ visitorId: 'visitor-1', siteKey: 'demo', agentName: 'Ada', state: 'pending' });
      expect(invite.token).not.toBe(invite.id);
      expect((await r.inviteByToken(invite.token))?.id).toBe(invite.id);
      expect(await r.answerInvite(invite.token, { accepted: true, sessionId: 's1', code: '123456' })).toBe(true);
      expect(await r.answerInvite(invite.token, { accepted: false })).toBe(false);
      expect(await r.getInvite(invite.id)).toMatchObject({ state: 'accepted', sessionId: 's1', code: '123456' });
      const declined = await r.createInvite(presentVisitor(), 'Ada', 60_000);
      expect(await r.answerInvite(declined.token, { accepted: false })).toBe(true);
      expect((await r.getInvite(declined.id))?.state).toBe('declined');
      const quick = await r.createInvite(presentVisitor(), 'Ada', 50);
      // Well past twice its time, it still reads "expired" (kept a minute at least), not nothing.
      await later(150);
      expect((await r.getInvite(quick.id))?.state).toBe('expired');
      expect(await r.answerInvite(quick.token, { accepted: false })).toBe(false);
      expect(await r.getInvite('nope')).toBeNull();
    });

    it('spends a ticket once until its time passes; watch links the same', async () => {
      const r = await fresh();
      expect(await r.spendTicket('t-1', 300)).toBe(true);
      expect(await r.spendTicket('t-1', 300)).toBe(false);
      expect(await r.spendTicket('t-2', 300)).toBe(true);
      expect(await r.spendTicket('watch:l-1', 60_000)).toBe(true);
      expect(await r.spendTicket('watch:l-1', 60_000)).toBe(false);
      await later(350);
      expect(await r.spendTicket('t-1', 300)).toBe(true);
    });

    it('gives rate limiters whose counters hold across calls and keys', async () => {
      const r = await fresh();
      const limiter = r.rateLimiter({ keyPrefix: `contract-${Math.random()}`, points: 3, duration: 60 });
      for (let i = 0; i < 3; i++) await limiter.consume('1.2.3.4');
      await expect(limiter.consume('1.2.3.4')).rejects.toMatchObject({ msBeforeNext: expect.any(Number) });
      await expect(limiter.consume('5.6.7.8')).resolves.toMatchObject({ remainingPoints: 2 });
    });
  });
}
