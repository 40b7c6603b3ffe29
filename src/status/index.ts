export { revisionStatus, hostStatus, type ScalerView } from './views.ts';
