#!/usr/bin/env node
// Starts kinesis-mock (npm kinesis-local) and stops it when its stdin closes,
// so a test that dies never leaves it behind. kinesis-mock listens on every
// interface and has no bind-address setting: ldexport's tests start this
// only inside a network namespace of their own with just loopback up.
//
//   KINESIS_MOCK_PLAIN_PORT=4568 node launcher.js
//
// KINESIS_MOCK_CERT_PATH defaults to the package's own server.json (it
// crashes without one).
'use strict'

const path = require('path')

process.env.KINESIS_MOCK_CERT_PATH = process.env.KINESIS_MOCK_CERT_PATH ||
  path.join(__dirname, 'node_modules', 'kinesis-local', 'server.json')

process.stdin.on('end', () => process.exit(0))
process.stdin.on('error', () => process.exit(0))
process.stdin.resume()

require('kinesis-local/main.js')
