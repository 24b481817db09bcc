import { describeLabGrading } from '../helpers/grade-lab.js';

// ipv6: the reference scores full marks; each mistake fails exactly the checks it should.
describeLabGrading('ipv6', {
  'binds-ipv4-only': ['listens-ipv6', 'handshake-ipv6', 'echo-ipv6'],
  'ipv6-only': ['echo-ipv4'],
  'client-uses-ipv4': ['handshake-ipv6'],
});
