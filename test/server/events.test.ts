/**
 * The session event stream across nodes: two servers share one bus and one
 * registry (as a cluster shares Redis). The visitor is on node A, the agent on
 * node B; both nodes see the session's events, numbered, in the same order,
 * and the metadata is written once per event, by the node that saw it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, type SessionEvent } from '@tandem/protocol';
import type { TandemServer } from '@tandem/server';
import { ADMIN, startCluster, type TestCluster } from '../helpers/server.js';
import { connect, joinAsAgent, signIn, startVisitorSession } from '../helpers/clients.js';
import { redisUp } from '../helpers/services.js';

const redis = await redisUp();

/** In one process (a shared in-memory bus and registry), and on Redis (each node its own connections). */
for (const [label, options] of [
  ['nodes sharing one process', {}],
  ['nodes on Redis', { redis: true }],
] as const) {
  describe.runIf(!('redis' in options) || redis)(`session events, ${label}`, () => {
    let cluster: TestCluster;
    let a: TandemServer;
    let b: TandemServer;
    const seenBy: Record<'a' | 'b', SessionEvent[]> = { a: [], b: [] };

    beforeAll(async () => {
      cluster = await startCluster(2, {}, options);
      [a, b] = cluster.nodes as [TandemServer, TandemServer];
      await a.context.events.followAll((e) => void seenBy.a.push(e));
      await b.context.events.followAll((e) => void seenBy.b.push(e));
    });

    afterAll(() => cluster?.stop());

    describe('session events in a cluster', () => {
      it('a visitor on one node and an agent on another: one stream, the same order on both, metadata written once', async () => {
        const s = await startVisitorSession(a.url, 'Two nodes');
        const cookie = await signIn(b.url);
        const joined = (await (
          await fetch(`${b.url}/api/v1/sessions/join`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', cookie },
            body: JSON.stringify({ code: s.code }),
          })
        ).json()) as { ticket: string };
        const agent = await connect(`${b.url.replace('http', 'ws')}/ws/agent?ticket=${joined.ticket}`, b.url);
        agent.sendJson({ t: 'hello', versions: [PROTOCOL_VERSION] });
        await agent.next((m) => m.t === 'welcome');
        // The agent's node asks the visitor's node for a snapshot, through the bus.
        await s.visitor.next((m) => m.t === 'resync');

        agent.sendJson({ t: 'requestMode', mode: 'control' });
        await s.visitor.next((m) => m.t === 'modeRequest');
        s.visitor.sendJson({ t: 'mode', mode: 'control' });
        await agent.next((m) => m.t === 'mode' && m.mode === 'control');
        agent.sendJson({ t: 'action', id: 1, a: { k: 'type', node: 7, text: 'my secret answer' } });
        await s.visitor.next((m) => m.t === 'action');
        s.visitor.sendJson({ t: 'page', url: 'http://shop.example/checkout?card=4111#pay' });
        s.visitor.sendJson({ t: 'end' });
        // Raced past the end: dropped, `ended` stays the last event.
        s.visitor.sendJson({ t: 'page', url: 'http://shop.example/after' });
        agent.sendJson({ t: 'requestMode', mode: 'navigate' });
        await agent.next((m) => m.t === 'ended');
        await new Promise((r) => setTimeout(r, 300));

        const names = ['requested', 'started', 'agentJoined', 'modeRequested', 'modeChanged', 'action', 'navigated', 'ended'];
        // The agent's last request went to another node than the visitor's page and end: on separate nodes it may
        // come anywhere after the action, before the end; never after it (the end is checked to be last below).
        const beforeTheEnd = (list: string[]) => list.filter((n, i) => !(n === 'modeRequested' && i > list.indexOf('action')));
        await expect.poll(() => beforeTheEnd(seenBy.b.filter((e) => e.sessionId === s.sessionId).map((e) => e.name))).toEqual(names);
        const mine = (node: 'a' | 'b') => seenBy[node].filter((e) => e.sessionId === s.sessionId);
        expect(mine('a')).toEqual(mine('b'));
        // Numbered without a gap or a repeat. Two nodes publishing at once reach the bus in either order (a
        // follower that needs the numbers' order sorts by them, as the controller channel does); the end has the last number.
        const seqs = mine('a').map((e) => e.seq);
        expect([...seqs].sort((x, y) => x - y)).toEqual(seqs.map((_, i) => i + 1));
        expect(mine('a').find((e) => e.seq === seqs.length)?.name).toBe('ended');
        // Each event names the node that saw it: the visitor's node for the visitor's doings, the agent's for the agent's.
        const byName = Object.fromEntries(mine('a').map((e) => [e.name, e]));
        expect(byName.started!.server).toBe(a.context.events.node);
        expect(byName.agentJoined!.server).toBe(b.context.events.node);
        // Metadata only: an action's kind and target, never what was typed; an address without its query.
        expect(JSON.stringify(mine('a'))).not.toContain('my secret answer');
        expect(byName.action).toMatchObject({ kind: 'type', node: 7, agent: { name: ADMIN.name } });
        expect(byName.navigated).toMatchObject({ url: 'http://shop.example/checkout' });
        expect(byName.ended).toMatchObject({ reason: 'visitor' });

        const stored = await a.context.store.getSession(s.sessionId);
        expect(stored).toMatchObject({ endReason: 'visitor', maxMode: 'control', visitorName: 'Two nodes' });
        expect(stored!.agents).toHaveLength(1);
      });
    });

    describe('an action across nodes', () => {
      it('an agent on one node acts, the visitor on the other answers: the agent has the result, the stream has it once', async () => {
        const s = await startVisitorSession(a.url, 'Acted on');
        const agent = await joinAsAgent(b.url, await signIn(b.url), s.code);
        s.visitor.sendJson({ t: 'mode', mode: 'control' });
        await agent.next((m) => m.t === 'mode' && m.mode === 'control');
        agent.sendJson({ t: 'action', id: 41, a: { k: 'click', node: 12, x: 3, y: 4 } });
        const delivered = await s.visitor.next((m) => m.t === 'action');
        s.visitor.sendJson({ t: 'actionResult', agentId: delivered.agentId, id: 41, ok: false, reason: 'gone' });
        expect(await agent.next((m) => m.t === 'actionResult')).toMatchObject({ id: 41, ok: false, reason: 'gone' });
        await expect
          .poll(() => seenBy.b.filter((e) => e.sessionId === s.sessionId && e.name === 'actionResult'))
          .toEqual([expect.objectContaining({ id: 41, kind: 'click', ok: false, reason: 'gone', server: a.context.events.node })]);
      });
    });

    describe('metadata at rest', () => {
      it('keeps the start address without its query and fragment (a GET form puts what the visitor typed there)', async () => {
        const res = await fetch(`${a.url}/api/v1/visitor/sessions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: a.url },
          body: JSON.stringify({ siteKey: 'demo', url: `${a.url}/demo/results.html?from=Paris&passport=X1234567#card-4111` }),
        });
        const { sessionId } = (await res.json()) as { sessionId: string };
        const stored = await a.context.store.getSession(sessionId);
        expect(stored?.startUrl).toBe(`${a.url}/demo/results.html`);
        const event = seenBy.a.find((e) => e.sessionId === sessionId && e.name === 'requested');
        expect(JSON.stringify(event)).not.toContain('X1234567');
      });
    });
  });
}
