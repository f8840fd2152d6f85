/**
 * The Go text/template subset behind `docker ... --format` / `-f`: what users type on inspect
 * output gives Go's text (fields, ranges, variables, json, index, join, trimming, %v of maps and
 * lists, <no value>), and bad templates give Go's parse errors.
 */

import { describe, expect, it } from "vitest";
import { renderTemplate, TemplateError } from "../../src/docker/go-template.js";

const net = {
  Name: "mynet",
  Internal: false,
  IPAM: { Driver: "default", Config: [{ Subnet: "172.18.0.0/16", Gateway: "172.18.0.1" }] },
  Containers: {
    b2: { Name: "web", IPv4Address: "172.18.0.3/16" },
    a1: { Name: "db", IPv4Address: "172.18.0.2/16" },
  },
  Labels: { "com.example": "x<y" },
};

describe("Go templates as docker --format runs them", () => {
  it("fields, nested fields, ranges over lists and maps (keys sorted), variables", () => {
    expect(renderTemplate("{{.Name}} {{.IPAM.Driver}}", net)).toBe("mynet default");
    expect(renderTemplate("{{range .IPAM.Config}}{{.Subnet}} via {{.Gateway}}{{end}}", net)).toBe(
      "172.18.0.0/16 via 172.18.0.1",
    );
    expect(renderTemplate("{{range $id, $c := .Containers}}{{$id}}={{$c.Name}};{{end}}", net)).toBe(
      "a1=db;b2=web;",
    );
    expect(renderTemplate("{{range .Containers}}{{.Name}} {{$.Name}}\n{{end}}", net)).toBe(
      "db mynet\nweb mynet\n",
    );
  });

  it("json, index, join, len, upper, printf, if/else, with, and trimming", () => {
    expect(renderTemplate("{{json .IPAM.Config}}", net)).toBe(
      '[{"Subnet":"172.18.0.0/16","Gateway":"172.18.0.1"}]',
    );
    expect(renderTemplate("{{json .Labels}}", net)).toBe('{"com.example":"x\\u003cy"}');
    expect(renderTemplate('{{index .Labels "com.example"}}', net)).toBe("x<y");
    expect(renderTemplate('{{join (split "a b" " ") ","}}', net)).toBe("a,b");
    expect(renderTemplate('{{(index .Containers "b2").IPv4Address}}', net)).toBe("172.18.0.3/16");
    expect(renderTemplate("{{len .Containers}} {{.Name | upper}}", net)).toBe("2 MYNET");
    expect(renderTemplate('{{printf "%s has %d" .Name 2}}', net)).toBe("mynet has 2");
    expect(renderTemplate("{{if .Internal}}internal{{else}}external{{end}}", net)).toBe("external");
    expect(renderTemplate("{{with .IPAM}}{{.Driver}}{{end}}", net)).toBe("default");
    expect(renderTemplate("a  {{- .Name -}}  b", net)).toBe("amynetb");
  });

  it("values print as Go's %v prints decoded JSON; a missing key is <no value>", () => {
    expect(renderTemplate("{{.IPAM.Config}}", net)).toBe("[map[Gateway:172.18.0.1 Subnet:172.18.0.0/16]]");
    expect(renderTemplate("{{.Nope}}", net)).toBe("<no value>");
    expect(renderTemplate("{{.Internal}} {{.Missing}}", { Internal: null })).toBe("<nil> <no value>");
  });

  it("parse errors are Go's, marked as parse errors", () => {
    const parseError = (t: string) => {
      try {
        renderTemplate(t, net);
      } catch (e) {
        expect(e).toBeInstanceOf(TemplateError);
        expect((e as TemplateError).parse).toBe(true);
        return (e as Error).message;
      }
      return "no error";
    };
    expect(parseError("{{.Name")).toBe("template: :1: unclosed action");
    expect(parseError("{{range .Containers}}x")).toBe("template: :1: unexpected EOF");
    expect(parseError("{{end}}")).toBe("template: :1: unexpected {{end}}");
  });
});
