// ES module entry point: the objects of index.cjs, so both entries share one
// loaded library and one set of error classes.
import binding from './index.cjs';

export const {
  Client,
  version,
  runAsUser,
  currentUserToken,
  outboundProxySettings,
  outboundDispatcher,
  maskUrl,
  loadSkillEnv,
  Status,
  WorkloadIdentityError,
  InvalidArgumentError,
  ClientClosedError,
  ConfigurationError,
  TokenRetrievalError,
  TokenExchangeError,
  IntegrationError,
  SkillEnvAPIError,
  StoreError,
  InternalError,
} = binding;

export default binding;
