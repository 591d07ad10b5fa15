#!/usr/bin/env node
// Answer accept/reject for JSON documents with the jambonz server's own validator.
//
// Reads JSON lines {"target": "app" | "verbs/say" | ..., "id": "<schema $id>", "doc": ...}
// on stdin and writes one JSON line {"valid": bool, "error": string|null} per input, in
// order. Uses @jambonz/schema as installed under <repo>/.conformance/node_modules:
// validateApp for the application root, validateVerb for verb objects, validateCommand
// for commands; components, callbacks and non-object verb documents go through an Ajv
// instance built exactly as the package builds its own (same options, same load order).
'use strict';

const path = require('path');
const fs = require('fs');
const readline = require('readline');

const root = process.argv[2] || path.resolve(__dirname, '..', '..', '.conformance');
const modules = path.join(root, 'node_modules');
const pkgDir = path.join(modules, '@jambonz', 'schema');
const schema = require(pkgDir);
const Ajv = require(path.join(modules, 'ajv'));

const ajv = new Ajv({allErrors: false, strict: false, validateSchema: false, logger: false});
for (const group of ['components', 'callbacks', 'verbs', 'commands']) {
  const dir = path.join(pkgDir, group);
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.schema.json'))) {
    ajv.addSchema(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf-8')));
  }
}
const PREFIX = 'https://jambonz.org/schema/';
const quiet = {info() {}, debug() {}, error() {}};

function check(target, id, doc) {
  if (target === 'app') {
    const result = schema.validateApp(doc);
    return {valid: result.valid, error: result.valid ? null : JSON.stringify(result.errors[0])};
  }
  const isObject = doc !== null && typeof doc === 'object' && !Array.isArray(doc);
  try {
    if (target.startsWith('verbs/') && isObject) {
      schema.validateVerb(id.slice(PREFIX.length + 'verbs/'.length), doc, quiet);
    } else if (target.startsWith('commands/') && isObject) {
      schema.validateCommand(id.slice(PREFIX.length + 'commands/'.length), doc, quiet);
    } else {
      const validate = ajv.getSchema(id);
      if (!validate) throw new Error(`unknown schema ${id}`);
      if (!validate(doc)) throw new Error(JSON.stringify(validate.errors[0]));
    }
    return {valid: true, error: null};
  } catch (err) {
    return {valid: false, error: String(err.message || err)};
  }
}

const rl = readline.createInterface({input: process.stdin, crlfDelay: Infinity});
const out = [];
rl.on('line', (line) => {
  if (!line.trim()) return;
  const {target, id, doc} = JSON.parse(line);
  out.push(JSON.stringify(check(target, id, doc)));
});
rl.on('close', () => process.stdout.write(out.join('\n') + (out.length ? '\n' : '')));
