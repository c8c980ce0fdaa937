/**
 * engine/src/rules: one rule language (json-logic), three executors — the live form (browser),
 * the server, and SQL for filters and row scopes. Isomorphic: no Node or database imports.
 *
 *   operations.ts  our json-logic instance: added operations and null/coercion semantics
 *   evaluate.ts    computed values, form state (hidden/required/read-only), rule errors
 *   sql.ts         a documented json-logic subset → parameterised SQL, agreeing with the evaluator
 *   deps.ts        which fields a rule reads; formula order
 */
export {
  jsonLogic,
  applyRule,
  truthy,
  setRulesTimeZone,
  getRulesTimeZone,
  setRulesClock,
  rulesToday,
  rulesNow,
  rulesEqual,
  compareValues,
  compareStrings,
  isEmptyValue,
  roundHalfAway,
  checkDigit,
  toRulesDate,
  toIsoDatetime,
  RULE_OPERATIONS,
  type CheckDigitSpec,
} from './operations.js';
export {
  computeValues,
  coerceComputed,
  formState,
  ruleErrors,
  labelMsg,
  requiredMsg,
  isBlank,
  type ComputeOptions,
  type FormState,
  type RuleErrorOptions,
  type RecordValues,
} from './evaluate.js';
export { compileFilter, FILTER_LIMITS, SQL_TRUE, SQL_FALSE, type FilterContext, type SqlField, type CompiledFilter } from './sql.js';
export { ruleVars, formulaOrder, FormulaCycleError } from './deps.js';
