// Configuration comes from the environment (COZE_WORKLOAD_IDENTITY_CLIENT_ID,
// ..._CLIENT_SECRET, ..._TOKEN_ENDPOINT, COZE_WORKLOAD_ACCESS_TOKEN_ENDPOINT,
// COZE_OUTBOUND_AUTH_ENDPOINT); options passed to new Client() override it.
import { Client, WorkloadIdentityError } from '@workload-identity/node';

let client;
try {
  client = new Client({ timeoutMs: 10_000 }); // throws ConfigurationError when the library or a setting is missing
  const token = await client.getAccessToken(); // cached until shortly before expiry
  console.log(`access token: ${token.length} characters`);

  const credential = await client.getIntegrationCredential('github');
  console.log(`github credential: ${credential.length} characters`);

  for (const { key } of await client.getProjectEnvVars()) {
    console.log(`project variable: ${key}`);
  }
  console.log(client.stats());
} catch (error) {
  if (!(error instanceof WorkloadIdentityError)) throw error;
  console.error(`${error.name} (HTTP ${error.httpStatus}, retryable: ${error.retryable}): ${error.message}`);
  process.exitCode = 1;
} finally {
  client?.close();
}
