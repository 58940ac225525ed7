/**
 * The conformance suite (describe_backend.ts) on the backend under test: the op table in float32 (per-row
 * tolerances) and in float64 where the backend has it. npm test runs this file once per CPU backend
 * (NABLA_BACKEND=ts, then =wasm); the webgpu backend needs an adapter and runs the same table in the system
 * suite on SwiftShader (systest/webgpu_node.test.ts).
 */
import * as nb from '../src/index.js';
import { currentBackend } from '../src/backends/registry.js';
import { describeBackend } from './describe_backend.js';

const name = nb.getBackend();
await describeBackend(name, () => currentBackend());
