/**
 * The part of Alibaba Cloud's own API Gateway SDK (`aliyun-api-gateway`,
 * which ships no types) that the simulator's test uses.
 */
declare module 'aliyun-api-gateway' {
  /** Signs each request with the AppKey/AppSecret digest authentication and sends it. */
  export class Client {
    constructor(appKey: string, appSecret: string, stage?: string);
    /** POSTs `data` as JSON (by default); resolves to the parsed answer, rejects on a non-2xx. */
    post(
      url: string,
      opts?: { data?: unknown; headers?: Record<string, string>; timeout?: number },
    ): Promise<unknown>;
  }
}
