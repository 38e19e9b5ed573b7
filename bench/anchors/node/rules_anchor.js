// Anchor of B1/B2: json-rules-engine on the same rules and events as the service's engine.
// Usage: node rules_anchor.js <workload.json>; prints {"events": n, "seconds": s, "awards": n} as JSON.
// workload.json: {"rules": [{id, type, metric, groupBy: [..], goal, points, maxPoints, conditions}], "events": [...]}
'use strict';
const fs = require('fs');
const { Engine } = require('json-rules-engine');

function sharesAny(factValue, wanted) {
  const have = Array.isArray(factValue) ? factValue : String(factValue).split(',');
  const want = Array.isArray(wanted) ? wanted : String(wanted).split(',');
  return have.some((item) => want.includes(item));
}

function toCondition(leaf) {
  // The service's `in`/`contains` on a list fact mean "shares a value with": a custom operator here.
  const listy = leaf.fact === 'categories' && (leaf.operator === 'in' || leaf.operator === 'contains');
  return { fact: leaf.fact, operator: listy ? 'sharesAny' : leaf.operator, value: leaf.value };
}

function bucketKey(rule, event) {
  return rule.id + '|' + rule.groupBy.map((name) => (name === 'kuserId' ? event.userId : String(event[name]))).join('|');
}

function accumulate(rule, event, buckets) {
  const key = bucketKey(rule, event);
  let bucket = buckets.get(key);
  if (bucket === undefined) {
    bucket = { progress: 0, awarded: 0, seen: new Set() };
    buckets.set(key, bucket);
  }
  let amount = 1;
  if (rule.type === 'sum') amount = Number(event[rule.metric]);
  else if (rule.type === 'countBoolean' && !event[rule.metric]) return 0;
  else if (rule.type === 'countUnique') {
    const value = String(event[rule.metric]);
    if (bucket.seen.has(value)) return 0;
    bucket.seen.add(value);
  }
  const before = Math.floor(bucket.progress / rule.goal);
  bucket.progress += amount;
  const crossed = Math.floor(bucket.progress / rule.goal) - before;
  if (crossed <= 0) return 0;
  const cap = rule.maxPoints === 'unlimited' ? Infinity : Number(rule.maxPoints);
  const award = Math.max(Math.min(crossed * rule.points, cap - bucket.awarded), 0);
  bucket.awarded += award;
  return award > 0 ? 1 : 0;
}

async function main() {
  const workload = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const engine = new Engine([], { allowUndefinedFacts: true });
  engine.addOperator('sharesAny', sharesAny);
  const byId = new Map();
  for (const rule of workload.rules) {
    byId.set(rule.id, rule);
    engine.addRule({ name: rule.id, conditions: { all: rule.conditions.map(toCondition) }, event: { type: rule.id } });
  }
  const buckets = new Map();
  let awards = 0;
  const started = process.hrtime.bigint();
  for (const event of workload.events) {
    const { events } = await engine.run(event);
    for (const fired of events) awards += accumulate(byId.get(fired.type), event, buckets);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(JSON.stringify({ events: workload.events.length, seconds, awards }) + '\n');
}

main();
