// compilePolicies: a principal's policy documents, precompiled once into matchers for fast evaluation.
//
// Matching rules (RAM "Policy elements", with Ramkey's choices where RAM is silent):
// - Actions match case-insensitively (RAM: "the value of Action is not case-sensitive").
// - Resources match case-insensitively too. RAM calls resource names case-sensitive, but every resource
//   Ramkey authorizes (users, groups, policies, roles) is named uniquely *regardless* of case, so
//   `user/ADMIN` and `user/admin` are one user: a case-sensitive match would let `UserName=ADMIN` slip
//   past a Deny on `user/admin`, and would miss an Allow written in the other case.
// - `*` matches any sequence (also empty, also across `:` and `/`), `?` exactly one character.
import { compileConditionBlock, type CompiledCondition } from './compile-condition.js';
import type { Decision } from './decision.js';
import { FALSE, TRUE, UNKNOWN, type EvaluationState, type Tri } from './evaluation-state.js';
import { USER_NAME_VARIABLE, type PolicyDocument, type PolicyStatement } from './policy-document.js';
import { matchesWildcard, WildcardSet } from './wildcard-set.js';
import { asciiLower } from '../ascii-case.js';

/** One policy attached to the principal (directly or through a group). */
export interface PolicyInput {
  readonly policyName: string;
  readonly policyType: 'System' | 'Custom';
  readonly document: PolicyDocument;
}

/** The Resource/NotResource list of one statement. */
class ResourceMatcher {
  private readonly plain: WildcardSet;
  /** Patterns with `${ram:UserName}`: the lower-cased pieces between the variable's occurrences. */
  private readonly templates: readonly (readonly string[])[];

  constructor(patterns: readonly string[]) {
    const plain: string[] = [];
    const templates: string[][] = [];
    for (const pattern of patterns) {
      if (pattern.includes(USER_NAME_VARIABLE)) {
        templates.push(pattern.split(USER_NAME_VARIABLE).map((part) => asciiLower(part)));
      } else {
        plain.push(asciiLower(pattern));
      }
    }
    this.plain = new WildcardSet(plain);
    this.templates = templates;
  }

  /** `TRUE` if some pattern matches; `UNKNOWN` if none does but a variable one could not be resolved. */
  match(state: EvaluationState): Tri {
    if (this.plain.matches(state.resource)) return TRUE;
    if (this.templates.length === 0) return FALSE;
    const userName = state.userNameForResource;
    if (userName === undefined) return UNKNOWN;
    for (const parts of this.templates) {
      if (matchesWildcard(parts.join(userName), state.resource)) return TRUE;
    }
    return FALSE;
  }
}

/**
 * What one statement matches, compiled. Depends on the statement alone (not on the policy's name or
 * type), so it is shared by every principal the same document is attached to.
 */
export class StatementMatcher {
  readonly isDeny: boolean;
  private readonly actions: WildcardSet;
  private readonly actionNegated: boolean;
  private readonly resources: ResourceMatcher;
  private readonly resourceNegated: boolean;
  private readonly conditions: readonly CompiledCondition[];

  constructor(statement: PolicyStatement) {
    // Anything but an exact "Allow" counts as Deny: parsed documents only hold the two, and for a
    // hand-built one the safe reading of an unknown effect is the restrictive one.
    this.isDeny = statement.Effect !== 'Allow';
    this.actionNegated = statement.Action === undefined;
    this.actions = new WildcardSet(listOf(statement.Action ?? statement.NotAction).map((a) => asciiLower(a)));
    this.resourceNegated = statement.Resource === undefined;
    this.resources = new ResourceMatcher(listOf(statement.Resource ?? statement.NotResource));
    this.conditions = compileConditionBlock(statement.Condition);
  }

  /**
   * Whether the Action (or NotAction) element covers an action known by `names` (lower-cased): Action
   * when it names any of them, NotAction when it names none.
   */
  coversAction(names: readonly string[]): boolean {
    return names.some((name) => this.actions.matches(name)) !== this.actionNegated;
  }

  /**
   * Whether the statement applies to a request whose action it covers: Resource (or NotResource)
   * matches and every condition holds. When the answer is unknown (a condition key or the user name is
   * missing from the request), it fails closed: an Allow does not apply, a Deny does.
   */
  appliesToCoveredAction(state: EvaluationState): boolean {
    let result = this.resources.match(state);
    if (this.resourceNegated) result = not(result);
    if (result === FALSE) return false;
    for (const condition of this.conditions) {
      const holds = condition(state);
      if (holds === FALSE) return false;
      if (holds === UNKNOWN) result = UNKNOWN;
    }
    return result === TRUE || this.isDeny;
  }
}

/** One statement of one attached policy: its matcher and the Decision it gives when it applies. */
export interface CompiledStatement {
  readonly matcher: StatementMatcher;
  /** Built once and returned as is, so evaluation allocates no Decision. */
  readonly decision: Decision;
}

/**
 * Matchers per parsed document. Parsed documents are frozen, so a document's matchers never go stale;
 * keyed weakly, so they live exactly as long as the document does. A caller that keeps one parsed
 * document per policy version (and the system policies' own) compiles each statement once, however
 * many principals it is attached to.
 */
const matchersByDocument = new WeakMap<PolicyDocument, readonly StatementMatcher[]>();

function matchersOf(document: PolicyDocument): readonly StatementMatcher[] {
  const cached = matchersByDocument.get(document);
  if (cached) return cached;
  const matchers = document.Statement.map((statement) => new StatementMatcher(statement));
  // A hand-built document that is not frozen could change after this; it is compiled afresh each time.
  if (Object.isFrozen(document) && Object.isFrozen(document.Statement))
    matchersByDocument.set(document, matchers);
  return matchers;
}

function not(value: Tri): Tri {
  return value === TRUE ? FALSE : value === FALSE ? TRUE : UNKNOWN;
}

/** The strings of a list element; anything else (only possible in a hand-built document) is empty. */
function listOf(value: readonly string[] | undefined): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** The statements whose Action element covers one action, Deny and Allow apart, in policy order. */
export interface CoveringStatements {
  readonly denies: readonly CompiledStatement[];
  readonly allows: readonly CompiledStatement[];
}

/**
 * How many distinct actions a set remembers its covering statements for. A principal calls a few
 * dozen actions at most; the bound only keeps a flood of made-up action names from growing memory.
 */
const MAX_REMEMBERED_ACTIONS = 512;

/**
 * A principal's policies, compiled: Deny statements and Allow statements apart, each in policy order,
 * then statement order. Safe to share; cache it per principal and drop it whenever an attachment or a
 * policy's default version changes. It remembers, per action, which statements cover it: the
 * remembered lists are a pure function of the policies, so the set behaves as immutable.
 */
export class CompiledPolicySet {
  private readonly denies: readonly CompiledStatement[];
  private readonly allows: readonly CompiledStatement[];
  private readonly byAction = new Map<string, CoveringStatements>();

  constructor(denies: readonly CompiledStatement[], allows: readonly CompiledStatement[]) {
    this.denies = Object.freeze(denies);
    this.allows = Object.freeze(allows);
    Object.freeze(this);
  }

  get statementCount(): number {
    return this.denies.length + this.allows.length;
  }

  /**
   * @internal The statements covering an action known by `names` (lower-cased, the action first),
   * computed once per list of names.
   */
  covering(names: readonly string[]): CoveringStatements {
    const key = names.length === 1 ? (names[0] ?? '') : names.join('\n');
    let found = this.byAction.get(key);
    if (found) return found;
    found = {
      denies: this.denies.filter((s) => s.matcher.coversAction(names)),
      allows: this.allows.filter((s) => s.matcher.coversAction(names)),
    };
    if (this.byAction.size >= MAX_REMEMBERED_ACTIONS) this.byAction.clear();
    this.byAction.set(key, found);
    return found;
  }
}

/**
 * Compiles the policies attached to one principal. Wildcards become set lookups, prefix tests or a
 * linear-time glob; condition values are parsed once. No work is left that depends only on the policies.
 * Statements of a parsed (frozen) document are compiled once and shared by every set it appears in, so
 * pass the same parsed document object for the same policy version (cache parses, not just texts).
 *
 * @example
 * const doc = parsePolicyDocument(text);
 * if (doc.ok) {
 *   const set = compilePolicies([{ policyName: 'ops', policyType: 'Custom', document: doc.value }]);
 *   evaluate(set, { action: 'ram:ListUsers', resource: '*', context }); // => { effect: 'allow', statement: {...} }
 * }
 */
export function compilePolicies(docs: readonly PolicyInput[]): CompiledPolicySet {
  const denies: CompiledStatement[] = [];
  const allows: CompiledStatement[] = [];
  for (const { policyName, policyType, document } of docs) {
    matchersOf(document).forEach((matcher, index) => {
      const effect = matcher.isDeny ? 'Deny' : 'Allow';
      const decision: Decision = Object.freeze({
        effect: matcher.isDeny ? 'deny' : 'allow',
        statement: Object.freeze({ policyName, policyType, index, effect }),
      });
      (matcher.isDeny ? denies : allows).push({ matcher, decision });
    });
  }
  return new CompiledPolicySet(denies, allows);
}
