export { ControlPlane, type FunctionService, type ControlPlaneDeps } from './functions.ts';
