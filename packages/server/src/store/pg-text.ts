/**
 * PostgreSQL's text cannot hold U+0000 (the query fails: "invalid byte
 * sequence"), where SQLite's can. Strings come from the network (a visitor's
 * name, an id in a URL), so a NUL must not turn a lookup into a 500 or make a
 * session's row impossible to write: every string parameter has its NULs
 * replaced with U+FFFD before it is sent, as a decoder does with bytes it cannot
 * take. A lookup then finds nothing (no stored value holds U+0000), and a
 * stored name keeps its other characters.
 */
import {
  OperationNodeTransformer,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type PrimitiveValueListNode,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
  type ValueNode,
} from 'kysely';

const clean = (value: unknown): unknown =>
  typeof value === 'string' && value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value;

class NulFreeStrings extends OperationNodeTransformer {
  protected override transformValue(node: ValueNode): ValueNode {
    const value = clean(node.value);
    return value === node.value ? super.transformValue(node) : { ...node, value };
  }

  protected override transformPrimitiveValueList(node: PrimitiveValueListNode): PrimitiveValueListNode {
    return { ...node, values: node.values.map(clean) };
  }
}

export class PgTextPlugin implements KyselyPlugin {
  private readonly transformer = new NulFreeStrings();

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.transformer.transformNode(args.node, args.queryId);
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}
