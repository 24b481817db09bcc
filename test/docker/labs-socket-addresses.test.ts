import { describeLabGrading } from '../helpers/grade-lab.js';

// socket-addresses: the reference scores full marks; each mistake fails exactly the checks it should.
describeLabGrading('socket-addresses', {
  'port-in-host-order': ['v4-port', 'v6-port'],
  'assumes-ipv4': ['v4-family', 'v4-address', 'v4-address-bytes', 'v6-family'],
});
