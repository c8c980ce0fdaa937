/**
 * The metadata layer's public face: types, the field-type registry, identity assignment,
 * metaschemas, FormDef → JSON Schema, and document diffs. Isomorphic.
 */
export * from './types.js';
export * from './field-types.js';
export * from './file-limits.js';
export * from './normalize.js';
export * from './metaschema.js';
export * from './json-schema.js';
export * from './diff.js';
export * from './workflow-schema.js';
export * from './report-schema.js';
