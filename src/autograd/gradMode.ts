/** Global switches the engine and ops consult: whether to record graphs, and anomaly detection. */
let enabled = true;
let anomaly = false;

export function isGradEnabled(): boolean {
  return enabled;
}

function withGrad<T>(value: boolean, fn: () => T): T {
  const prev = enabled;
  enabled = value;
  try {
    return fn();
  } finally {
    enabled = prev; // an exception must never leave recording switched off (or on)
  }
}

/** Run fn without recording a graph (like torch.no_grad). */
export function noGrad<T>(fn: () => T): T {
  return withGrad(false, fn);
}

/** Run fn with recording on, even inside noGrad. */
export function enableGrad<T>(fn: () => T): T {
  return withGrad(true, fn);
}

export function setGradEnabled<T>(value: boolean, fn: () => T): T {
  return withGrad(value, fn);
}

export function isAnomalyEnabled(): boolean {
  return anomaly;
}

/** Run fn with anomaly detection: a NaN/Inf produced by a backward raises, naming the op and where its forward ran. */
export function detectAnomaly<T>(fn: () => T): T {
  const prev = anomaly;
  anomaly = true;
  try {
    return fn();
  } finally {
    anomaly = prev;
  }
}
