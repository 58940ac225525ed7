/// <reference types="@webgpu/types" />
/**
 * Getting a GPUDevice: `navigator.gpu` where the runtime has it (browsers, Deno), otherwise the optional
 * `webgpu` npm package (Google's Dawn bindings, loaded only here). When neither yields an adapter the error
 * lists every attempt and why it failed, and how to run on a CPU (SwiftShader).
 */

export interface AcquiredDevice {
  device: GPUDevice;
  /** adapter in words: "vendor architecture (description)" */
  adapterName: string;
  /** where the GPU object came from */
  source: string;
  /** the adapter's optional features (e.g. shader-f16), sorted */
  features: string[];
}

/**
 * The GPU and adapter objects behind every device handed out: Dawn's Node bindings tear the instance down when
 * its GPU object is garbage-collected, which would pull the device out from under running work.
 */
const keepAlive: unknown[] = [];

const SWIFTSHADER_HINT =
  'Without a GPU, point VK_ICD_FILENAMES at an ICD JSON whose library_path is SwiftShader ' +
  '(/usr/lib/chromium/libvk_swiftshader.so in Debian\'s chromium package); in Chromium pass --enable-unsafe-webgpu --enable-unsafe-swiftshader';

async function loadDawn(): Promise<GPU> {
  // a computed specifier keeps bundlers from resolving the optional Node-only package for browser builds
  const spec = 'webgpu';
  const mod = (await import(spec)) as { create(flags: string[]): GPU; globals: object };
  Object.assign(globalThis, mod.globals); // GPUBufferUsage, GPUMapMode, ... as the WebGPU spec defines them
  return mod.create([]);
}

export async function acquireDevice(opts: { powerPreference?: GPUPowerPreference } = {}): Promise<AcquiredDevice> {
  const tried: string[] = [];
  const sources: [string, () => Promise<GPU>][] = [];
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) sources.push(['navigator.gpu', async () => nav.gpu!]);
  else tried.push('navigator.gpu: absent in this runtime');
  const isNode = typeof process === 'object' && process !== null && typeof process.versions?.node === 'string';
  if (isNode) sources.push(["the 'webgpu' npm package (Dawn)", loadDawn]);
  for (const [name, get] of sources) {
    let gpu: GPU;
    try {
      gpu = await get();
    } catch (e) {
      tried.push(`${name}: could not load (${(e as Error).message.split('\n')[0]})`);
      continue;
    }
    const adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' }).catch((e: Error) => {
      tried.push(`${name}: requestAdapter failed (${e.message})`);
      return null;
    });
    if (!adapter) {
      if (!tried.some((t) => t.startsWith(name))) tried.push(`${name}: requestAdapter() returned no adapter`);
      continue;
    }
    const limits = adapter.limits;
    const device = await adapter.requestDevice({
      requiredLimits: {
        maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
        maxBufferSize: limits.maxBufferSize,
        maxStorageBuffersPerShaderStage: Math.min(8, limits.maxStorageBuffersPerShaderStage),
        // the flash-attention tiles (attention.ts) size themselves to what the adapter allows
        maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      },
    });
    // adapter.info in current WebGPU; requestAdapterInfo() in older implementations
    const withInfo = adapter as GPUAdapter & { info?: GPUAdapterInfo };
    keepAlive.push(gpu, adapter, device);
    const info: Partial<GPUAdapterInfo> = withInfo.info ?? (await adapter.requestAdapterInfo?.().catch(() => undefined)) ?? {};
    const adapterName = [info.vendor, info.architecture, info.description ? `(${info.description})` : ''].filter(Boolean).join(' ') || 'unknown adapter';
    return { device, adapterName, source: name, features: [...adapter.features].sort() };
  }
  throw new Error(`webgpu: no WebGPU adapter; tried ${tried.join('; ')}. ${SWIFTSHADER_HINT}`);
}
