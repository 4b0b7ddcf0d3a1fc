#!/usr/bin/env node
// Deaggregates Kinesis records with the awslabs deaggregator (aws-kinesis-agg),
// checking every MD5: an independent check of what ldexport's pkg/kpl encodes.
//
// stdin:  one Kinesis record a line, {"shardId","partitionKey","explicitHashKey","data"(base64)}
// stdout: one user record a line, {"record":N,"shardId","partitionKey","explicitHashKey",
//         "subSequenceNumber","data"(base64)}; a record that is not an aggregate passes
//         through with no subSequenceNumber.
// A corrupt aggregate ends the run with exit 1 and "record N: reason" on stderr.
'use strict';
const readline = require('readline');
const agg = require('aws-kinesis-agg');

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
let n = 0;
const out = [];
rl.on('line', (line) => {
  if (line.trim() === '') return;
  const rec = JSON.parse(line);
  const index = n++;
  agg.deaggregateSync({
    partitionKey: rec.partitionKey,
    explicitPartitionKey: rec.explicitHashKey,
    sequenceNumber: String(index),
    data: rec.data,
  }, true, (err, users) => {
    if (err) {
      process.stderr.write(`record ${index}: ${err.message || err}\n`);
      process.exit(1);
    }
    for (const u of users) {
      const o = { record: index, shardId: rec.shardId, partitionKey: u.partitionKey, data: u.data };
      if (u.explicitPartitionKey !== undefined && u.explicitPartitionKey !== null) o.explicitHashKey = u.explicitPartitionKey;
      if (u.subSequenceNumber !== undefined) o.subSequenceNumber = u.subSequenceNumber;
      out.push(JSON.stringify(o));
      if (out.length >= 1000) process.stdout.write(out.splice(0).join('\n') + '\n');
    }
  });
});
rl.on('close', () => {
  if (out.length > 0) process.stdout.write(out.join('\n') + '\n');
});
