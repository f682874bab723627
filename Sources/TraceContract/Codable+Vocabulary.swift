/// The manifest is `Codable` because an AOT executable carries it; these are the value types it
/// is made of. Their conformances are synthesised where they are declared; this one has a
/// `Character`, which is not `Codable`.

extension PrintfFormat.Conversion: Codable {
    private enum CodingKeys: String, CodingKey { case flags, width, precision, length, specifier, bufferStyle }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let specifier = try c.decode(String.self, forKey: .specifier)
        guard let first = specifier.first, specifier.count == 1 else {
            throw DecodingError.dataCorruptedError(forKey: .specifier, in: c, debugDescription: "one character expected")
        }
        self.init(flags: try c.decode(String.self, forKey: .flags),
                  width: try c.decodeIfPresent(Int.self, forKey: .width),
                  precision: try c.decodeIfPresent(Int.self, forKey: .precision),
                  length: try c.decode(String.self, forKey: .length),
                  specifier: first)
        bufferStyle = try c.decodeIfPresent(String.self, forKey: .bufferStyle)?.first
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(flags, forKey: .flags)
        try c.encodeIfPresent(width, forKey: .width)
        try c.encodeIfPresent(precision, forKey: .precision)
        try c.encode(length, forKey: .length)
        try c.encode(String(specifier), forKey: .specifier)
        try c.encodeIfPresent(bufferStyle.map(String.init), forKey: .bufferStyle)
    }
}
