// Service documents the tests share: the README's example (an orders API behind a gateway).

/** The README's example document (Service documents), as JSON would hold it. */
export const ORDERS_DOCUMENT = {
  Version: '1',
  Hosts: ['orders.example.com', '*.orders.example.com'],
  PathPrefixes: ['/orders-api'],
  Actions: [
    {
      Name: 'GetOrder',
      Access: 'Read',
      Method: 'GET',
      Path: '/orders/{OrderId}',
      Resource: 'acs:orders:*:${AccountId}:order/${OrderId}',
    },
    {
      Name: 'CreateOrder',
      Access: 'Write',
      Method: 'POST',
      Path: '/orders',
      Resource: ['acs:orders:*:${AccountId}:order/*'],
      Risk: 'High',
    },
    { Name: 'ListOrders', Access: 'Read' },
  ],
};
