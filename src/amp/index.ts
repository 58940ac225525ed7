/** nb.amp: mixed-precision training helpers (torch.amp). */
export { GradScaler, type GradScalerOptions, type GradScalerState } from './gradScaler.js';
