/** A minimal line plot on a canvas: one series, axes labelled with min/max, no library needed for two curves. */
export function drawSeries(canvas: HTMLCanvasElement, xs: number[], ys: number[], opts: { title: string; colour: string; yMin?: number; yMax?: number }): void {
  const ctx = canvas.getContext('2d')!;
  const W = canvas.width, H = canvas.height, L = 44, B = 22, T = 20;
  ctx.clearRect(0, 0, W, H);
  ctx.fillStyle = '#222';
  ctx.font = '12px system-ui';
  ctx.fillText(opts.title, L, 14);
  if (xs.length === 0) return;
  const x0 = Math.min(...xs), x1 = Math.max(...xs, x0 + 1);
  const y0 = opts.yMin ?? Math.min(...ys), y1 = opts.yMax ?? Math.max(...ys, y0 + 1e-9);
  const px = (x: number) => L + ((x - x0) / (x1 - x0)) * (W - L - 8);
  const py = (y: number) => T + (1 - (y - y0) / (y1 - y0 || 1)) * (H - T - B);
  ctx.strokeStyle = '#bbb';
  ctx.beginPath(); ctx.moveTo(L, T); ctx.lineTo(L, H - B); ctx.lineTo(W - 8, H - B); ctx.stroke();
  ctx.fillStyle = '#555';
  ctx.fillText(y1.toPrecision(3), 2, T + 8);
  ctx.fillText(y0.toPrecision(3), 2, H - B);
  ctx.fillText(String(x0), L, H - 6);
  ctx.fillText(String(x1), W - 40, H - 6);
  ctx.strokeStyle = opts.colour;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  xs.forEach((x, i) => (i ? ctx.lineTo(px(x), py(ys[i]!)) : ctx.moveTo(px(x), py(ys[i]!))));
  ctx.stroke();
}
