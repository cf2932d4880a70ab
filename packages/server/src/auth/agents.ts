import { randomBytes, randomUUID } from 'node:crypto';
import type { AgentRecord, Store } from '../store/store.js';
import { hashPassword } from './passwords.js';
import { fail } from '../http-errors.js';

export async function createAgent(
  store: Store,
  input: { email: string; password: string; name?: string; role?: 'admin' | 'agent' },
): Promise<AgentRecord> {
  const email = input.email.trim().toLowerCase();
  if (!/^[^@\s]+@[^@\s]+$/.test(email)) throw new Error(`"${input.email}" is not an email address.`);
  if (input.password.length < 8) throw new Error('The password must have at least 8 characters.');
  if (await store.findAgentByEmail(email)) throw new Error(`An agent with the email ${email} already exists.`);
  const agent: AgentRecord = {
    id: randomUUID(),
    email,
    name: input.name?.trim() || email.split('@')[0]!,
    role: input.role ?? 'agent',
    passwordHash: await hashPassword(input.password),
    createdAt: new Date().toISOString(),
    disabledAt: null,
  };
  await store.createAgent(agent);
  return agent;
}

/**
 * On first start with no agents, creates the admin: from TANDEM_ADMIN_EMAIL and
 * TANDEM_ADMIN_PASSWORD, or with a generated password that is printed once.
 */
export async function ensureAdmin(
  store: Store,
  email: string | undefined,
  password: string | undefined,
  print: (line: string) => void,
): Promise<void> {
  if ((await store.countAgents()) > 0) return;
  const generated = !password;
  const pw = password ?? randomBytes(12).toString('base64url');
  const admin = await createAgent(store, { email: email ?? 'admin@localhost', password: pw, name: 'Admin', role: 'admin' });
  if (generated) {
    print(`Created the admin agent ${admin.email} with the password ${pw}`);
    print('It is shown only this once: sign in and keep it, or create agents with `npx tandem agent create`.');
  }
}

export interface AgentChange {
  disabled?: boolean;
  role?: 'admin' | 'agent';
  name?: string;
}

/**
 * Changes an agent. Disabling revokes every sign-in at once; the caller tells
 * the gateways (AGENTS_REVOKED) when `revoked` says so. The last enabled admin
 * cannot be disabled or demoted: no one could undo it.
 */
export async function changeAgent(store: Store, id: string, change: AgentChange): Promise<{ agent: AgentRecord; revoked: boolean }> {
  const agent = (await store.findAgentById(id)) ?? fail('TDM_NOT_FOUND', 'No agent has this id.');
  const losesAdmin = agent.role === 'admin' && !agent.disabledAt && (change.disabled === true || change.role === 'agent');
  if (losesAdmin) {
    const admins = (await store.listAgents()).filter((a) => a.role === 'admin' && !a.disabledAt);
    if (admins.length <= 1) fail('TDM_CONFLICT', 'This is the last enabled admin: make another admin first.');
  }
  const now = new Date().toISOString();
  const disabledAt = change.disabled === undefined ? undefined : change.disabled ? (agent.disabledAt ?? now) : null;
  const name = change.name?.trim();
  await store.updateAgent(id, { role: change.role, name: name || undefined, disabledAt });
  const revoked = change.disabled === true;
  if (revoked) await store.revokeAgentSignIns(id, now);
  return { agent: (await store.findAgentById(id))!, revoked };
}
