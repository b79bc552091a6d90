// @tacit/directory-client: how other services (the gateway) call the directory service over the bus.
export {
  BusDirectoryClient,
  type DirectoryAddress,
  type DirectoryClient,
  type DirectoryLookup,
  type DirectoryRegister,
  type DirectoryRelease,
  type DirectoryTransfer,
} from './directory-client.js';
export { DIRECTORY_CLIENT, DirectoryClientModule, type DirectoryClientModuleOptions } from './directory-client.module.js';
