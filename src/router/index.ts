export { buildRouteTable, pick, validateTraffic, routedRevisions, consolidate, trafficAfterDeploy, type RouteTable, type TrafficTarget } from './table.ts';
