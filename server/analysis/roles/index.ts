/** What each VM is: the role rules (data) and the classifier. docs/domain.md#roles. */
export { classifyVm, type RoleDecision } from "./classify";
export { FIELDS, ROLE_RULES, ROLES_DOC, type RoleContext, type RoleField, type RoleRule } from "./rules";
