/**
 * The machine-readable description of the WebSocket channels (AsyncAPI 3.0),
 * made from the same tables the server validates with, so it cannot drift.
 * Operations are from the server's side: it receives what clients send.
 */
import type { TSchema } from 'typebox';
import { PROTOCOL_VERSION } from '../version.js';
import { channels, type MessageTable } from './channels.js';

const DOM_FRAME = {
  name: 'domFrame',
  title: 'DOM frame',
  summary:
    'A binary frame: type (1 byte), flags (1: keyframe, 2: gzip), sequence (uint32 BE), then the JSON of DomEvent[]. Forwarded without decoding.',
  contentType: 'application/octet-stream',
  payload: { type: 'string', format: 'binary' },
};

const summaryOf = (schema: TSchema) => {
  const { description } = schema as { description?: unknown };
  return typeof description === 'string' ? { summary: description } : {};
};

/** A plain JSON copy of a schema (TypeBox keeps its own markers off the JSON). */
const plain = (schema: TSchema): unknown => JSON.parse(JSON.stringify(schema));

export function asyncApiDocument(host: string): Record<string, unknown> {
  const docChannels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};

  const addMessages = (channel: string, direction: 'in' | 'out', table: MessageTable): string[] => {
    const names: string[] = [];
    for (const [t, schema] of Object.entries(table)) {
      const name = `${channel}.${direction}.${t}`;
      messages[name] = {
        name: t,
        title: t,
        ...summaryOf(schema),
        contentType: 'application/json',
        payload: plain(schema),
      };
      names.push(name);
    }
    return names;
  };

  for (const [id, c] of Object.entries(channels)) {
    const inbound = addMessages(id, 'in', c.receive);
    const outbound = addMessages(id, 'out', c.send);
    const dom = id === 'visitor' ? 'in' : id === 'agent' ? 'out' : null;
    if (dom) messages[`${id}.${dom}.domFrame`] = DOM_FRAME;
    const channelMessages: Record<string, unknown> = {};
    for (const name of [...inbound, ...outbound, ...(dom ? [`${id}.${dom}.domFrame`] : [])]) {
      channelMessages[name.replaceAll('.', '_')] = { $ref: `#/components/messages/${name}` };
    }
    docChannels[id] = {
      address: c.address,
      title: c.title,
      description: `${c.description} Control messages are JSON text frames with a discriminant "t"${Object.hasOwn(c.receive, 'hello') ? '; the first is hello' : ''}.`,
      messages: channelMessages,
    };
    const refs = (names: string[]) => names.map((n) => ({ $ref: `#/channels/${id}/messages/${n.replaceAll('.', '_')}` }));
    operations[`${id}Receive`] = {
      action: 'receive',
      channel: { $ref: `#/channels/${id}` },
      summary: `What a ${id} client sends.`,
      messages: refs([...inbound, ...(dom === 'in' ? [`${id}.in.domFrame`] : [])]),
    };
    operations[`${id}Send`] = {
      action: 'send',
      channel: { $ref: `#/channels/${id}` },
      summary: `What the server sends a ${id} client.`,
      messages: refs([...outbound, ...(dom === 'out' ? [`${id}.out.domFrame`] : [])]),
    };
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Tandem WebSocket channels',
      version: String(PROTOCOL_VERSION),
      description: 'The visitor, agent, presence and controller channels of a Tandem server. Generated from the protocol package’s schemas.',
    },
    defaultContentType: 'application/json',
    servers: { tandem: { host, protocol: 'ws', description: 'This server (wss behind TLS).' } },
    channels: docChannels,
    operations,
    components: { messages },
  };
}
