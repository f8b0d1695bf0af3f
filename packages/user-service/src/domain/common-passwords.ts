/**
 * A compact list of passwords that top every published list of leaked
 * passwords (the widely cited "most common passwords" rankings built from
 * breach corpora). It is deliberately small: it stops the passwords an
 * attacker tries first, it is not a breach database. Compared lower-cased.
 */
export const commonPasswords: ReadonlySet<string> = new Set(
  `
123456 123456789 12345678 12345 1234567 1234567890 123123 1234 111111 000000
password password1 password12 password123 passw0rd p@ssw0rd p@ssword pass1234 passpass
qwerty qwerty123 qwerty1 qwertyuiop qwerty12 1q2w3e4r 1q2w3e4r5t 1q2w3e 1qaz2wsx zaq12wsx
abc123 abcd1234 abcdef abc12345 a1b2c3d4 a123456 aa123456 123abc
iloveyou iloveu loveme lovely love123 princess sunshine monkey dragon football
baseball soccer hockey basketball superman batman starwars pokemon naruto
letmein welcome welcome1 welcome123 hello hello123 hellohello admin admin123 administrator
root toor master master123 login guest default changeme secret secret123
trustno1 whatever freedom shadow michael jennifer jordan jordan23 thomas charlie
michelle daniel andrew joshua jessica ashley george buster harley hunter ranger
robert matthew summer winter spring autumn flower cookie chocolate cheese
computer internet google samsung apple orange banana pepper ginger
killer tigger thunder silver golden diamond matrix mustang ferrari porsche
555555 666666 777777 888888 999999 121212 112233 123321 654321 987654321
159753 147258369 123654 789456 456789 147258 159357 101010 202020 7777777
11111111 00000000 12341234 11223344 123qwe qwe123 asdf1234 asdfgh asdfghjkl
zxcvbn zxcvbnm 1qazxsw2 qazwsx q1w2e3r4 1234qwer qwer1234 asdasd
jesus jesus1 blessed angel angels family friends friend lovelove
maggie ginger1 buddy tiger lucky bailey charlie1 daisy sophie chelsea
liverpool arsenal chelsea1 barcelona manchester yankees cowboys steelers lakers
nicole daniel1 anthony william justin nathan amanda hannah taylor
access access14 passport whatever1 letmein1 killer1 secret1 superman1 batman1
myspace1 facebook linkedin twitter youtube iphone
1111 0000 2000 12121212 5201314 a12345 1234abcd abcd123
`
    .split(/\s+/)
    .filter((word) => word.length > 0),
);
