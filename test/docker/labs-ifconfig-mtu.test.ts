import { describeLabGrading } from '../helpers/grade-lab.js';

// ifconfig-mtu: the reference scores full marks; each mistake fails exactly the checks it should.
describeLabGrading('ifconfig-mtu', {
  'mtu-without-headers': ['max-df-payload'],
  'reads-wrong-interface': ['slim-interface', 'slim-mtu'],
  'splits-datagram': ['whole-datagram'],
});
