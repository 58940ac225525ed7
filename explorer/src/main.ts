/** The explorer's shell: three pages behind hash routes (#playground, #memory, #train). */
import * as nb from 'nabla';
import { mountPlayground } from './playground.js';
import { mountMemory } from './memoryPage.js';
import { mountTrain } from './trainPage.js';

const pages: Record<string, (root: HTMLElement) => void> = { playground: mountPlayground, memory: mountMemory, train: mountTrain };
const root = document.getElementById('page')!;
let unmount: (() => void) | void;

function route(): void {
  const name = location.hash.slice(1) in pages ? location.hash.slice(1) : 'playground';
  document.querySelectorAll<HTMLAnchorElement>('nav a').forEach((a) => a.classList.toggle('active', a.dataset.page === name));
  if (typeof unmount === 'function') unmount();
  root.dataset.page = name;
  unmount = pages[name]!(root) as (() => void) | void;
}

document.getElementById('backend')!.textContent = `backend: ${nb.getBackend()}${self.crossOriginIsolated ? ' · cross-origin isolated' : ''}`;
window.addEventListener('hashchange', route);
route();
