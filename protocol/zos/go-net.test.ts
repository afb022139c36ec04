/** Go IP and CIDR formatting (zos-protocol.md §2.1): one row per rule, expected text from Go's net package. */
import { canonicalCIDR, canonicalIP, formatGoIP, parseGoIP } from './go-net';

describe('canonicalIP (net.ParseIP + IP.String)', () => {
  it.each([
    ['IPv4 stays dotted', '10.20.2.2', '10.20.2.2'],
    ['IPv4-mapped IPv6 prints as IPv4', '::ffff:10.1.2.4', '10.1.2.4'],
    ['IPv4-mapped with uppercase FFFF', '::FFFF:1.2.3.4', '1.2.3.4'],
    ['IPv4-compatible (not mapped) prints as IPv6', '::1.2.3.4', '::102:304'],
    ['leading zeros in groups dropped, longest zero run compressed', '2001:0db8:0:0:0:0:0:1', '2001:db8::1'],
    ['uppercase hex lowercased', '2A02:1802:005E::1', '2a02:1802:5e::1'],
    ['first of two equal zero runs wins', '1:0:0:2:0:0:3:4', '1::2:0:0:3:4'],
    ['longest zero run wins over an earlier shorter one', '1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['trailing zero run compressed', 'fe80:1:0:0:0:0:0:0', 'fe80:1::'],
    ['run at the end is kept when an earlier one is longer', 'fe80::1:0:0:0', 'fe80::1:0:0:0'],
    ['a single zero group is not compressed', '1:2:3:4:5:6:0:8', '1:2:3:4:5:6:0:8'],
    ['all zeros', '::', '::'],
    ['loopback', '::1', '::1'],
    ['full form compressed', '0000:0000:0000:0000:0000:0000:0000:0001', '::1'],
    ['empty stays empty (nil IP, hashed as <nil>)', '', ''],
  ])('%s: %s → %s', (_rule, input, expected) => {
    expect(canonicalIP(input)).toBe(expected);
  });

  it.each([
    ['leading zero in IPv4 octet', '010.1.2.3'],
    ['octet above 255', '256.1.1.1'],
    ['three octets', '10.1.2'],
    ['zone', 'fe80::1%eth0'],
    ['two ellipses', '1::2::3'],
    ['five hex digits', '12345::1'],
    ['ellipsis standing for no group', '1:2:3:4::5:6:7:8'],
    ['hostname', 'example.com'],
    ['trailing colon', '1:2:3:4:5:6:7:'],
  ])('rejects %s (%s) with Go text', (_rule, input) => {
    expect(() => canonicalIP(input)).toThrow(`invalid IP address: ${input}`);
  });

  it('prints the nil IP as <nil>', () => {
    expect(formatGoIP(null)).toBe('<nil>');
    expect(formatGoIP(parseGoIP('x'))).toBe('<nil>');
  });
});

describe('canonicalCIDR (gridtypes.IPNet: ParseCIDR keeping host bits)', () => {
  it.each([
    ['IPv4 network', '10.20.0.0/16', '10.20.0.0/16'],
    ['host bits are not masked', '10.1.0.5/16', '10.1.0.5/16'],
    ['IPv6 canonicalised, prefix kept', '2A02:1802:005E::0/64', '2a02:1802:5e::/64'],
    ['IPv6 host bits kept', '2001:db8::1/48', '2001:db8::1/48'],
    ['IPv4-mapped with a 16-byte mask keeps the last 32 bits', '::ffff:10.1.2.4/120', '10.1.2.4/24'],
    ['IPv4-mapped with a short mask prints /0', '::ffff:10.1.2.4/64', '10.1.2.4/0'],
    ['prefix with leading zeros', '10.0.0.0/016', '10.0.0.0/16'],
    ['/32 host route', '100.64.20.3/32', '100.64.20.3/32'],
    ['empty stays empty (hashed as <nil>)', '', ''],
  ])('%s: %s → %s', (_rule, input, expected) => {
    expect(canonicalCIDR(input)).toBe(expected);
  });

  it.each([
    ['no prefix', '10.0.0.0'],
    ['IPv4 prefix above 32', '10.0.0.0/33'],
    ['IPv6 prefix above 128', '::/129'],
    ['negative prefix', '10.0.0.0/-1'],
    ['bad address', '10.0.0/8'],
    ['empty prefix', '10.0.0.0/'],
  ])('rejects %s (%s) with Go text', (_rule, input) => {
    expect(() => canonicalCIDR(input)).toThrow(`invalid CIDR address: ${input}`);
  });
});
