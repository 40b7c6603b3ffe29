export { Catalog, type FunctionRoute, type CatalogEvents } from './catalog.ts';
