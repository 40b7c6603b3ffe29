export { Registry, type FunctionRoute } from './registry.ts';
