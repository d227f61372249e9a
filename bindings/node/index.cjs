'use strict';
// CommonJS entry point; index.js re-exports the same objects for ES modules,
// so `instanceof` holds whichever way the package is loaded.

const { Client, version } = require('./lib/client.cjs');
const errors = require('./lib/errors.cjs');
const { runAsUser, currentUserToken } = require('./lib/user_context.cjs');
const egress = require('./lib/egress.cjs');

module.exports = {
  Client,
  version,
  runAsUser,
  currentUserToken,
  outboundProxySettings: egress.outboundProxySettings,
  outboundDispatcher: egress.outboundDispatcher,
  maskUrl: egress.maskUrl,
  loadSkillEnv: egress.loadSkillEnv,
  Status: errors.Status,
  WorkloadIdentityError: errors.WorkloadIdentityError,
  InvalidArgumentError: errors.InvalidArgumentError,
  ClientClosedError: errors.ClientClosedError,
  ConfigurationError: errors.ConfigurationError,
  TokenRetrievalError: errors.TokenRetrievalError,
  TokenExchangeError: errors.TokenExchangeError,
  IntegrationError: errors.IntegrationError,
  SkillEnvAPIError: errors.SkillEnvAPIError,
  StoreError: errors.StoreError,
  InternalError: errors.InternalError,
};
