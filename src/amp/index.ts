/** nb.amp: mixed-precision training helpers (torch.amp). */
export { GradScaler, type GradScalerOptions, type GradScalerState } from './gradScaler.js';
export { autocast, isAutocastEnabled, autocastDtype, type AutocastOptions } from './autocast.js';
