// Event and EventTarget in the style of web-platform-tests dom/events/ (written for isoedge).
import { c, caseWorker } from '../harness.ts';

export const cases = [
  c('Event defaults', 'dom/events/Event-constructors.any.js', () => { const e = new Event('x'); return [e.type, e.bubbles, e.cancelable, e.composed, e.defaultPrevented, e.eventPhase, e.isTrusted]; }, ['x', false, false, false, false, 0, false]),
  c('preventDefault on a cancelable event', 'dom/events/Event-defaultPrevented.html', () => { const t = new EventTarget(); t.addEventListener('x', (e) => e.preventDefault()); return t.dispatchEvent(new Event('x', { cancelable: true })); }, false),
  c('preventDefault on a non-cancelable event', 'dom/events/Event-defaultPrevented.html', () => { const t = new EventTarget(); t.addEventListener('x', (e) => e.preventDefault()); return t.dispatchEvent(new Event('x')); }, true),
  c('once listener runs once', 'dom/events/AddEventListenerOptions-once.any.js', () => { const t = new EventTarget(); let n = 0; t.addEventListener('x', () => n++, { once: true }); t.dispatchEvent(new Event('x')); t.dispatchEvent(new Event('x')); return n; }, 1),
  c('same listener added twice runs once', 'dom/events/EventTarget-addEventListener.any.js', () => { const t = new EventTarget(); let n = 0; const f = () => n++; t.addEventListener('x', f); t.addEventListener('x', f); t.dispatchEvent(new Event('x')); return n; }, 1),
  c('removeEventListener', 'dom/events/EventTarget-removeEventListener.any.js', () => { const t = new EventTarget(); let n = 0; const f = () => n++; t.addEventListener('x', f); t.removeEventListener('x', f); t.dispatchEvent(new Event('x')); return n; }, 0),
  c('stopImmediatePropagation', 'dom/events/Event-stopImmediatePropagation.html', () => { const t = new EventTarget(); const seen = []; t.addEventListener('x', (e) => { seen.push(1); e.stopImmediatePropagation(); }); t.addEventListener('x', () => seen.push(2)); t.dispatchEvent(new Event('x')); return seen; }, [1]),
  c('handleEvent object listener', 'dom/events/EventListener-handleEvent.html', () => { const t = new EventTarget(); let got; t.addEventListener('x', { handleEvent(e) { got = e.type; } }); t.dispatchEvent(new Event('x')); return got; }, 'x'),
  c('listener signal removes it', 'dom/events/AddEventListenerOptions-signal.any.js', () => { const t = new EventTarget(); const a = new AbortController(); let n = 0; t.addEventListener('x', () => n++, { signal: a.signal }); t.dispatchEvent(new Event('x')); a.abort(); t.dispatchEvent(new Event('x')); return n; }, 1),
  c('dispatch state during a listener', 'dom/events/Event-dispatch-handlers-changed.html', () => { const t = new EventTarget(); let s; t.addEventListener('x', (e) => { s = [e.eventPhase, e.target === t, e.currentTarget === t]; }); const e = new Event('x'); t.dispatchEvent(e); return [s, e.eventPhase, e.currentTarget]; }, [[2, true, true], 0, null]),
  c('dispatching an event twice throws InvalidStateError', 'dom/events/Event-dispatch-redispatch.html', () => { const t = new EventTarget(); let err; t.addEventListener('x', (e) => { try { t.dispatchEvent(e); } catch (x) { err = x.name; } }); t.dispatchEvent(new Event('x')); return err; }, 'InvalidStateError'),
  c('CustomEvent detail', 'dom/events/CustomEvent.html', () => new CustomEvent('c', { detail: { a: 1 } }).detail, { a: 1 }),
  c('Event without a type throws TypeError', 'dom/events/Event-constructors.any.js', () => { try { new Event(); return 'constructed'; } catch (e) { return e.name; } }, 'TypeError'),
  c('subclassed EventTarget', 'dom/events/EventTarget-constructible.any.js', () => { class T extends EventTarget {} const t = new T(); let n = 0; t.addEventListener('x', () => n++); t.dispatchEvent(new Event('x')); return [n, t instanceof EventTarget]; }, [1, true]),
];

export default caseWorker(cases);
