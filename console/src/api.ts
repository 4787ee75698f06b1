// The ledger's service over the Connect protocol, same origin, with the token (if any) on
// every call; and refusals told in words.
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { PolicyLedger } from "./gen/ledger/v1/ledger_pb";

const TOKEN_KEY = "ledger-console.token";

/** The token lives in this tab's sessionStorage only: never localStorage, never the URL. */
export const token = {
  get(): string {
    try {
      return sessionStorage.getItem(TOKEN_KEY) ?? "";
    } catch {
      return "";
    }
  },
  set(value: string): void {
    sessionStorage.setItem(TOKEN_KEY, value);
  },
  forget(): void {
    sessionStorage.removeItem(TOKEN_KEY);
  },
};

const bearer: Interceptor = (next) => (request) => {
  const value = token.get();
  if (value) request.header.set("authorization", `Bearer ${value}`);
  return next(request);
};

export const ledger = createClient(
  PolicyLedger,
  createConnectTransport({ baseUrl: location.origin, interceptors: [bearer] }),
);

/** What each status means to someone who is not a programmer. */
const MEANING: Record<number, string> = {
  [Code.Canceled]: "The request was cancelled.",
  [Code.Unknown]: "Something went wrong.",
  [Code.InvalidArgument]: "The server could not accept the question as asked.",
  [Code.DeadlineExceeded]: "The server took too long to answer.",
  [Code.NotFound]: "Not found.",
  [Code.AlreadyExists]: "It already exists.",
  [Code.PermissionDenied]: "Your token does not allow this.",
  [Code.ResourceExhausted]: "The server is busy, or the answer would be too large.",
  [Code.FailedPrecondition]: "The ledger refused it as it stands.",
  [Code.Aborted]: "Someone else changed it first; try again.",
  [Code.OutOfRange]: "Out of range.",
  [Code.Unimplemented]: "This server does not offer that.",
  [Code.Internal]: "The server failed.",
  [Code.Unavailable]: "The server cannot be reached now.",
  [Code.DataLoss]: "Data was lost.",
  [Code.Unauthenticated]: "The server asks for a token.",
};

export interface Problem {
  code: Code;
  /** The status as Connect names it: "invalid_argument". */
  name: string;
  meaning: string;
  /** The server's own words (they name the field, what is accepted, an example). */
  message: string;
}

export function problem(error: unknown): Problem {
  const refused = ConnectError.from(error);
  const name = (Code[refused.code] ?? "unknown").replace(/[A-Z]/g, (c, at: number) =>
    (at ? "_" : "") + c.toLowerCase(),
  );
  return {
    code: refused.code,
    name,
    meaning: MEANING[refused.code] ?? "Something went wrong.",
    message: refused.rawMessage,
  };
}

export function isAborted(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError"
    ? true
    : ConnectError.from(error).code === Code.Canceled;
}

export { Code };
