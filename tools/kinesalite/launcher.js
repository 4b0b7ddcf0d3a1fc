#!/usr/bin/env node
// Starts kinesalite, the local Kinesis emulator, bound to 127.0.0.1 only
// (its own CLI listens on every interface), in memory, with short
// create/delete delays, and optionally pre-creates streams.
//
//   node launcher.js [--port 0] [--streams name:shards,name:shards] [--shard-limit 50]
//
// Once listening and every stream is ACTIVE it prints one line on stdout:
//   ready http://127.0.0.1:PORT
// It stops on SIGINT, SIGTERM, or when its stdin closes (so a parent that dies
// never leaves it behind).
'use strict'

const http = require('http')
const kinesalite = require('kinesalite')
const argv = require('minimist')(process.argv.slice(2), {
  string: ['streams'],
  default: { port: 0, 'shard-limit': 50, 'create-ms': 10, 'delete-ms': 10, 'update-ms': 10 },
})

function fail(msg) {
  process.stderr.write('kinesalite launcher: ' + msg + '\n')
  process.exit(1)
}

function call(port, op, body) {
  const data = JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port, method: 'POST', path: '/',
      headers: {
        'Content-Type': 'application/x-amz-json-1.1',
        'X-Amz-Target': 'Kinesis_20131202.' + op,
        'X-Amz-Date': '20260101T000000Z',
        // kinesalite checks that a signature is present, not that it is valid.
        Authorization: 'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=0',
        'Content-Length': Buffer.byteLength(data),
      },
    }, (res) => {
      let out = ''
      res.on('data', (c) => { out += c })
      res.on('end', () => {
        const parsed = out ? JSON.parse(out) : {}
        if (res.statusCode !== 200) reject(new Error(op + ': ' + (parsed.__type || res.statusCode) + ': ' + (parsed.message || '')))
        else resolve(parsed)
      })
    })
    req.on('error', reject)
    req.end(data)
  })
}

async function createStreams(port, spec) {
  const streams = spec ? spec.split(',').filter(Boolean) : []
  for (const s of streams) {
    const [name, shards] = s.split(':')
    const count = Number(shards || 1)
    if (!name || !Number.isInteger(count) || count < 1) fail('bad --streams entry ' + JSON.stringify(s) + ': want name:shards')
    await call(port, 'CreateStream', { StreamName: name, ShardCount: count })
  }
  for (const s of streams) {
    const name = s.split(':')[0]
    for (;;) {
      const d = await call(port, 'DescribeStreamSummary', { StreamName: name })
      if (d.StreamDescriptionSummary.StreamStatus === 'ACTIVE') break
      await new Promise((r) => setTimeout(r, 10))
    }
  }
}

const server = kinesalite({
  createStreamMs: Number(argv['create-ms']),
  deleteStreamMs: Number(argv['delete-ms']),
  updateStreamMs: Number(argv['update-ms']),
  shardLimit: Number(argv['shard-limit']),
})
server.on('error', (err) => fail(err.message))
server.listen(Number(argv.port), '127.0.0.1', async () => {
  const port = server.address().port
  try {
    await createStreams(port, argv.streams)
  } catch (err) {
    fail(err.message)
  }
  process.stdout.write('ready http://127.0.0.1:' + port + '\n')
})

function stop() { server.close(() => process.exit(0)); setTimeout(() => process.exit(0), 1000).unref() }
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
if (argv['exit-on-stdin-close'] !== false) {
  process.stdin.on('end', stop)
  process.stdin.on('error', stop)
  process.stdin.resume()
}
