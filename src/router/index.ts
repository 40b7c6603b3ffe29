export { buildRouteTable, pick, validateTraffic, routedRevisions, type RouteTable, type TrafficTarget } from './table.ts';
