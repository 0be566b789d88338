export type { DataVaultStore } from "@coffer/core";
export { getDataVaultStoreToken } from "./coffer.constants.js";
export { InjectDataVaultStore } from "./coffer.decorators.js";
export { CofferModule } from "./coffer.module.js";
export type { CofferModuleOptions } from "./coffer.module-definition.js";
export { CofferService } from "./coffer.service.js";
export { CofferExceptionFilter } from "./coffer-exception.filter.js";
