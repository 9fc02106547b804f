{
  description = "trop: directory-aware port reservations for parallel agents and developers";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.11";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
      forAll = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in {
      devShells = forAll (pkgs: {
        default = pkgs.mkShell {
          # better-sqlite3 compiles its native addon with node-gyp: python3 and a C++ toolchain.
          packages = [ pkgs.nodejs_20 pkgs.sqlite pkgs.python3 pkgs.gnumake pkgs.gcc ];
        };
      });
    };
}
